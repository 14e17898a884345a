//! Fuzzes the json parsers: any bytes must give papers or rejections, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use papertide_ingest::Format;

fuzz_target!(|data: &[u8]| {
    for format in [Format::Kaggle, Format::Daily, Format::Export] {
        let mut reader = std::io::BufReader::new(data);
        let _ = format.parse(&mut reader, "fuzz", &mut |_item| Ok(()));
    }
    let _ = papertide_ingest::input::detect("fuzz", data);
});
