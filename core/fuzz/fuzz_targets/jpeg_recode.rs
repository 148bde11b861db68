#![no_main]
//! Arbitrary bytes into the lossless re-coder (`jpeg::recode`): `plan`,
//! `Analysis::parse` and `recode` with bounded buffers. Nothing panics;
//! `recode` refuses what the analysis refuses; a short coefficient buffer
//! gets the exact count; whatever `recode` writes is a frame
//! `jpeg::Frame::parse` accepts, of the analysed size and type, with the
//! restart interval asked for.
//!
//! The restart interval (0-7 MCUs) comes from the input's length, so that a
//! seed stays a whole JPEG.
use libfuzzer_sys::fuzz_target;
use rtsp_core::jpeg::recode::{self, Analysis, Options, Plan};
use rtsp_core::jpeg::{Error, Frame};

/// Most coefficients given (4 MB); a frame needing more gets none.
const MAX_COEFFICIENTS: usize = 2 << 20;
/// Largest output buffer (4 MB).
const MAX_OUT: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let plan = recode::plan(data);
    let analysis = Analysis::parse(data);
    if let Ok(Plan::Recode(a)) = plan {
        assert_eq!(analysis, Ok(a));
    }
    let options = Options {
        restart_interval: (data.len() % 8) as u16,
    };
    let a = match analysis {
        Ok(a) => a,
        Err(e) => {
            let mut out = [0u8; 256];
            assert_eq!(recode::recode(data, options, &mut [], &mut out), Err(e));
            return;
        }
    };
    let need = a.coefficients_len();
    if need > MAX_COEFFICIENTS {
        let mut out = [0u8; 256];
        assert_eq!(
            recode::recode(data, options, &mut [0; 64], &mut out),
            Err(Error::BufferTooSmall { required: need })
        );
        return;
    }
    let mut coefficients = vec![0i16; need];
    let mut out = vec![0u8; (4 * data.len() + need / 4 + 65536).min(MAX_OUT)];
    match recode::recode(data, options, &mut coefficients, &mut out) {
        Ok(n) => {
            let f = Frame::parse(&out[..n]).expect("the re-coded frame parses");
            assert_eq!(
                (f.width(), f.height(), f.kind(), f.restart_interval()),
                (a.width(), a.height(), a.kind(), options.restart_interval)
            );
        }
        Err(Error::BufferTooSmall { required }) => assert!(required > out.len()),
        Err(_) => {}
    }
});
