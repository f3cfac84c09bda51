//! Bounded memory: writing ~430 MB of generated text with `to_textfiles` and counting its
//! words with `read_text → flat_map_ref → frequencies` stays under 150 MB peak RSS (each
//! partition is streamed line by line; only the word tables and the buffers are held).

#[path = "common/memory.rs"]
mod memory;

use chunkflow::bag::corpus::Corpus;
use chunkflow::io::text::ReadText;

#[test]
fn counting_words_in_430_mb_of_files_stays_under_150_mb() {
    let dir = std::env::temp_dir().join(format!("chunkflow-mem-text-{}", std::process::id()));
    let lines: u64 = 6_000_000;
    let corpus = Corpus::standard().bag(lines, 50_000).unwrap();
    let files = corpus.to_textfiles(dir.join("part-*.txt")).unwrap();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let written = memory::peak_rss_mb();
    let bag = ReadText::new(dir.join("*.txt"))
        .blocksize(16 << 20)
        .lines()
        .unwrap();
    let counts = bag
        .flat_map_ref(|l, emit| l.split_whitespace().for_each(emit))
        .frequencies()
        .compute()
        .unwrap();
    let peak = memory::peak_rss_mb();
    eprintln!(
        "{bytes} bytes in {} files: peak RSS {written:.0} MB writing, {peak:.0} MB in all",
        files.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), lines * 10);
    assert!(bytes > 400_000_000, "{bytes}");
    assert!(peak < 150.0, "peak RSS {peak:.0} MB");
}
