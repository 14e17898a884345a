//! Fuzzes the text parsers: any bytes must give papers or rejections, never a panic. Also
//! runs the whole input path (gzip/xz layers, tar members, detection, dispatch) on the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use papertide_ingest::{input, Format};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Abs, Format::Listing] {
        let mut reader = std::io::BufReader::new(data);
        let _ = format.parse(&mut reader, "fuzz", &mut |_item| Ok(()));
    }
    let _ = input::detect("fuzz", data);
    let _ = input::read_reader(data, "fuzz", None, &input::Progress::new(), &mut |_item| Ok(()));
});
