//! The media relay (an SFU on str0m) will live here: its pure core, the UDP I/O around it, and
//! the WHIP/WHEP handlers. Empty until relay mode lands; peer to peer needs no server media.
