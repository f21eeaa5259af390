//! The picture size of a keyframe, read from its bitstream: the H.264 sequence parameter set
//! or the VP8 keyframe header. A small parser rather than a crate: two numbers from the start
//! of a frame need exp-Golomb reading and nothing else (h264-reader would bring a dependency
//! tree for them).

/// Width and height in pixels, if `frame` (an H.264 access unit in Annex B form) carries an SPS.
pub fn h264_size(frame: &[u8]) -> Option<(u32, u32)> {
    nal_units(frame).find(|nal| nal.first().is_some_and(|h| h & 0x1f == 7)).and_then(|sps| sps_size(&sps[1..]))
}

/// Width and height of a VP8 keyframe (RFC 6386 9.1: a 3-byte tag, the start code, then the sizes).
pub fn vp8_size(frame: &[u8]) -> Option<(u32, u32)> {
    let is_keyframe = frame.first()? & 1 == 0;
    if !is_keyframe || frame.get(3..6)? != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([*frame.get(6)?, *frame.get(7)?]) & 0x3fff;
    let height = u16::from_le_bytes([*frame.get(8)?, *frame.get(9)?]) & 0x3fff;
    Some((u32::from(width), u32::from(height)))
}

/// The NAL units of an Annex B stream (split on 00 00 01 start codes).
fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let ends: Vec<usize> = starts.iter().skip(1).map(|s| s - 3).chain(std::iter::once(stream.len())).collect();
    starts.into_iter().zip(ends).map(move |(s, e)| {
        // A 4-byte start code leaves its leading zero at the end of the previous unit.
        let mut end = e;
        while end > s && stream[end - 1] == 0 {
            end -= 1;
        }
        &stream[s..end]
    })
}

/// Reads bits MSB first, skipping emulation prevention bytes (00 00 03).
struct Bits<'a> {
    data: &'a [u8],
    byte: usize,
    bit: u8,
    zeros: u8,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits { data, byte: 0, bit: 0, zeros: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        if self.bit == 0 {
            let b = *self.data.get(self.byte)?;
            if self.zeros >= 2 && b == 3 {
                self.byte += 1;
                self.zeros = 0;
                return self.bit();
            }
            self.zeros = if b == 0 { self.zeros + 1 } else { 0 };
        }
        let b = *self.data.get(self.byte)?;
        let v = (b >> (7 - self.bit)) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.byte += 1;
        }
        Some(u32::from(v))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// ue(v): exp-Golomb, unsigned.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    /// se(v): exp-Golomb, signed.
    fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        Some(if k % 2 == 1 { k.div_ceil(2) as i32 } else { -((k / 2) as i32) })
    }
}

/// ITU-T H.264 7.3.2.1.1, as far as the frame size and cropping.
fn sps_size(rbsp: &[u8]) -> Option<(u32, u32)> {
    let mut r = Bits::new(rbsp);
    let profile_idc = r.bits(8)?;
    r.bits(16)?; // constraint flags, level_idc
    r.ue()?; // seq_parameter_set_id
    let mut chroma_format_idc = 1;
    if matches!(profile_idc, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            // seq_scaling_matrix_present_flag: skip each list that is present.
            for i in 0..if chroma_format_idc == 3 { 12 } else { 8 } {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256) % 256;
                        }
                        last = if next == 0 { last } else { next };
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = r.ue()? + 1;
    let height_map_units = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let (mut crop_x, mut crop_y) = (0, 0);
    if r.bit()? == 1 {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let (sub_w, sub_h) = match chroma_format_idc {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1),
        };
        crop_x = sub_w * (left + right);
        crop_y = sub_h * (2 - frame_mbs_only) * (top + bottom);
    }
    let width = (width_mbs * 16).checked_sub(crop_x)?;
    let height = (height_map_units * 16 * (2 - frame_mbs_only)).checked_sub(crop_y)?;
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPS ffmpeg's libx264 writes for 640x360 baseline (360 is not a multiple of 16:
    /// coded as 368 and cropped), emulation prevention bytes included.
    const SPS_640X360: [u8; 25] = [
        0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00,
        0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2e, 0x48,
    ];
    /// And for 1280x720 high profile (chroma format and scaling flags present).
    const SPS_1280X720_HIGH: [u8; 26] = [
        0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
        0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    ];

    fn annex_b(units: &[&[u8]]) -> Vec<u8> {
        units.iter().flat_map(|u| [&[0u8, 0, 0, 1][..], u].concat()).collect()
    }

    #[test]
    fn the_size_of_an_h264_keyframe_comes_from_its_sps() {
        let frame = annex_b(&[&[0x09, 0xf0], &SPS_640X360, &[0x68, 0xcb, 0x83, 0xcb, 0x20], &[0x65, 0x88, 0x84]]);
        assert_eq!(h264_size(&frame), Some((640, 360)));
        assert_eq!(h264_size(&annex_b(&[&SPS_1280X720_HIGH])), Some((1280, 720)));
    }

    #[test]
    fn a_delta_frame_or_garbage_has_no_size() {
        assert_eq!(h264_size(&annex_b(&[&[0x41, 0x9a, 0x00]])), None);
        assert_eq!(h264_size(&[]), None);
        assert_eq!(h264_size(&annex_b(&[&[0x67]])), None, "a truncated SPS");
        assert_eq!(h264_size(&annex_b(&[&[0x67, 0x42, 0, 0, 0, 0, 0, 0]])), None);
    }

    #[test]
    fn emulation_prevention_bytes_are_skipped() {
        let mut r = Bits::new(&[0x00, 0x00, 0x03, 0x01]);
        assert_eq!(r.bits(16), Some(0));
        assert_eq!(r.bits(8), Some(1), "the 03 after two zeros is not data");
    }

    #[test]
    fn exp_golomb_reads_unsigned_and_signed() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3; se of 4 is -2
        let mut r = Bits::new(&[0b1010_0110, 0b0100_0010, 0b1000_0000]);
        assert_eq!(r.ue(), Some(0));
        assert_eq!(r.ue(), Some(1));
        assert_eq!(r.ue(), Some(2));
        assert_eq!(r.ue(), Some(3));
        assert_eq!(r.se(), Some(-2));
    }

    #[test]
    fn the_size_of_a_vp8_keyframe_comes_from_its_header() {
        let keyframe = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0x00];
        assert_eq!(vp8_size(&keyframe), Some((640, 360)));
        let delta = [0x51, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01];
        assert_eq!(vp8_size(&delta), None);
        assert_eq!(vp8_size(&[0x50]), None);
    }
}
