//! Grows the process's file descriptor table to the open-files limit ahead of need.
//!
//! Linux grows the table by doubling as descriptors open, and in a process of more than one
//! thread each growth waits for an RCU grace period (`expand_fdtable` calls
//! `synchronize_rcu`): tens of ms in which the thread that opens the descriptor, for a server
//! the one that accepts and on one core all of it, stands still. A crowd of 5000 on a fresh
//! server crossed three doublings, and its answers arrived in clusters after 20-30 ms stalls
//! that no later crowd showed (README, Performance: the flash crowd on one core).

/// The largest table grown here: 65,536 entries, 512 KiB of pointers.
const MOST: u64 = 65_536;

/// Grows the table to the open-files soft limit (at most [`MOST`]). Best called before any
/// other thread starts, where the growth itself waits for nothing. Does nothing where it
/// cannot.
#[allow(unsafe_code)]
pub fn grow_to_limit() {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit fills in the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return;
        }
        let Ok(highest) = libc::c_int::try_from(limit.rlim_cur.min(MOST)) else { return };
        let Ok(null) = std::fs::File::open("/dev/null") else { return };
        // SAFETY: F_DUPFD takes the lowest free descriptor at or above `highest - 1`, never
        // one in use; the duplicate is closed at once and the grown table stays.
        unsafe {
            let dup = libc::fcntl(null.as_raw_fd(), libc::F_DUPFD, highest - 1);
            if dup >= 0 {
                libc::close(dup);
            }
        }
    }
}
