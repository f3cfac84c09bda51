//! A deterministic synthetic text corpus for word-count examples, tests and benchmarks.
//!
//! Words are drawn from a fixed vocabulary with a Zipf-like distribution (the word of rank
//! `r` has weight `1 / (r + 1)`), using a SplitMix64 generator seeded per line, so any line
//! can be generated on its own, in any order, on any thread, and always reads the same.
//! Words are unique: a fixed-length base-26 code of the rank plus 0–4 pseudo-random letters.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Bag;
use crate::error::{Error, Result};

/// The vocabulary size of the standard word-count workload.
pub const VOCABULARY: usize = 50_000;
/// Words per line in the standard workload.
pub const WORDS_PER_LINE: usize = 10;
/// The seed of the standard workload.
pub const SEED: u64 = 0x5EED_2026;

/// Buckets of the guide table that speeds up sampling.
const GUIDE: usize = 1 << 16;

/// One step of SplitMix64: a fast, well-mixed 64-bit generator.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A vocabulary with a Zipf-like sampling distribution.
///
/// ```
/// use chunkflow::bag::corpus::Corpus;
/// let c = Corpus::new(1000, 10, 7);
/// assert_eq!(c.line(3), c.line(3));
/// assert_eq!(c.line(3).split_whitespace().count(), 10);
/// ```
#[derive(Debug, Clone)]
pub struct Corpus {
    words: Vec<String>,
    cdf: Vec<f64>,
    /// `guide[b]`: the first rank whose cdf exceeds `b / GUIDE` (a bucketed index into
    /// `cdf`, so a draw searches a few entries instead of the whole table).
    guide: Vec<u32>,
    words_per_line: usize,
    seed: u64,
}

impl Corpus {
    /// A corpus over `vocabulary` words (at least one), `words_per_line` words per line.
    ///
    /// ```
    /// let c = chunkflow::bag::corpus::Corpus::new(26 * 26 + 1, 4, 0);
    /// let words: std::collections::HashSet<_> = (0..26 * 26 + 1).map(|r| c.word(r)).collect();
    /// assert_eq!(words.len(), 26 * 26 + 1); // all distinct
    /// ```
    pub fn new(vocabulary: usize, words_per_line: usize, seed: u64) -> Corpus {
        let vocabulary = vocabulary.max(1);
        let mut code_len = 1;
        while 26_usize.saturating_pow(code_len) < vocabulary {
            code_len += 1;
        }
        let words = (0..vocabulary)
            .map(|rank| {
                let mut w = String::new();
                let mut r = rank;
                for _ in 0..code_len {
                    w.push((b'a' + (r % 26) as u8) as char);
                    r /= 26;
                }
                let mut state = seed ^ (rank as u64).wrapping_mul(0xA24B_AED4_963E_E407);
                let extra = splitmix64(&mut state);
                for i in 0..(extra % 5) {
                    w.push((b'a' + ((extra >> (8 + 8 * i)) % 26) as u8) as char);
                }
                w
            })
            .collect();
        let mut total = 0.0;
        let mut cdf: Vec<f64> = (0..vocabulary)
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        cdf.iter_mut().for_each(|c| *c /= total);
        let guide = (0..=GUIDE)
            .map(|b| {
                let edge = b as f64 / GUIDE as f64;
                cdf.partition_point(|&c| c <= edge).min(vocabulary - 1) as u32
            })
            .collect();
        Corpus {
            words,
            cdf,
            guide,
            words_per_line,
            seed,
        }
    }

    /// The standard word-count corpus: [`VOCABULARY`] words, [`WORDS_PER_LINE`] per line,
    /// seed [`SEED`].
    ///
    /// ```
    /// let c = chunkflow::bag::corpus::Corpus::standard();
    /// assert_eq!(c.line(0).split(' ').count(), 10);
    /// ```
    pub fn standard() -> Corpus {
        Corpus::new(VOCABULARY, WORDS_PER_LINE, SEED)
    }

    /// The word of frequency rank `rank` (0 is the most frequent).
    ///
    /// ```
    /// let c = chunkflow::bag::corpus::Corpus::new(30, 5, 1);
    /// assert!(c.word(0).starts_with('a'));
    /// ```
    pub fn word(&self, rank: usize) -> &str {
        &self.words[rank]
    }

    /// Line number `i`: words separated by single spaces.
    ///
    /// ```
    /// let c = chunkflow::bag::corpus::Corpus::new(5, 3, 1);
    /// assert!(c.line(9).split(' ').all(|w| (0..5).any(|r| c.word(r) == w)));
    /// ```
    pub fn line(&self, i: u64) -> String {
        let mut state = self.seed ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut line = String::with_capacity(self.words_per_line * 8);
        for w in 0..self.words_per_line {
            let u = (splitmix64(&mut state) >> 11) as f64 / (1_u64 << 53) as f64;
            let rank = self.rank_of(u);
            if w > 0 {
                line.push(' ');
            }
            line.push_str(&self.words[rank]);
        }
        line
    }

    /// The rank drawn by `u` in `[0, 1)`: the first rank whose cdf exceeds `u`. Its bucket
    /// in `guide` bounds the search: `guide[b] <= rank <= guide[b + 1]`.
    fn rank_of(&self, u: f64) -> usize {
        let b = ((u * GUIDE as f64) as usize).min(GUIDE - 1);
        let (lo, hi) = (self.guide[b] as usize, self.guide[b + 1] as usize);
        (lo + self.cdf[lo..=hi].partition_point(|&c| c <= u)).min(self.words.len() - 1)
    }

    /// Lines `start..end`.
    ///
    /// ```
    /// let c = chunkflow::bag::corpus::Corpus::new(100, 3, 1);
    /// assert_eq!(c.lines(2..4), [c.line(2), c.line(3)]);
    /// ```
    pub fn lines(&self, range: std::ops::Range<u64>) -> Vec<String> {
        range.map(|i| self.line(i)).collect()
    }

    /// A lazy bag of the first `nlines` lines, `lines_per_partition` per partition (the
    /// last may be shorter): each partition is generated by its own task.
    ///
    /// ```
    /// use chunkflow::bag::corpus::Corpus;
    /// let lines = Corpus::new(100, 4, 9).bag(10, 3)?;
    /// assert_eq!(lines.npartitions(), 4);
    /// assert_eq!(lines.flat_map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
    ///     .count().compute()?, 40);
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn bag(&self, nlines: u64, lines_per_partition: u64) -> Result<Bag<String>> {
        if lines_per_partition == 0 {
            return Err(Error::InvalidArgument(
                "lines_per_partition must be positive".into(),
            ));
        }
        let nparts = usize::try_from(nlines.div_ceil(lines_per_partition).max(1))
            .map_err(|_| Error::InvalidArgument("too many partitions".into()))?;
        let corpus = self.clone();
        Bag::from_fn(nparts, move |i| {
            let start = i as u64 * lines_per_partition;
            corpus.lines(start..(start + lines_per_partition).min(nlines))
        })
    }

    /// Writes lines `0..nlines` over `files` text files `part-0.txt`, `part-1.txt`, ... in
    /// `dir` (created if missing), one `\n`-terminated line each, consecutive ranges of
    /// lines per file, and returns their paths in order. A file that exists already is
    /// kept: a corpus is written once and reused by later runs (give each size its own
    /// `dir`). Each file is written to a hidden temporary name and renamed when complete,
    /// so an interrupted run leaves no partial `part-*.txt`. The standard corpus's lines
    /// average about 68 bytes: 16,000,000 lines over 8 files are about 1.1 GB.
    ///
    /// ```
    /// use chunkflow::Bag;
    /// use chunkflow::bag::corpus::Corpus;
    /// let dir = std::env::temp_dir().join(format!("chunkflow-corpus-doc-{}", std::process::id()));
    /// let c = Corpus::new(100, 4, 9);
    /// let paths = c.write_files(&dir, 10, 3)?;
    /// assert_eq!(paths.len(), 3);
    /// let lines = Bag::read_text(&paths)?.compute()?;
    /// assert_eq!(lines.len(), 10);
    /// assert_eq!(lines[9], c.line(9) + "\n");
    /// assert_eq!(c.write_files(&dir, 10, 3)?, paths); // reused
    /// assert!(c.write_files(&dir, 10, 0).is_err());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), chunkflow::Error>(())
    /// ```
    pub fn write_files(
        &self,
        dir: impl AsRef<Path>,
        nlines: u64,
        files: u64,
    ) -> Result<Vec<PathBuf>> {
        if files == 0 {
            return Err(Error::InvalidArgument(
                "a corpus needs at least one file".into(),
            ));
        }
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::file(dir, "creating", &e))?;
        let mut paths = Vec::new();
        for f in 0..files {
            let path = dir.join(format!("part-{f}.txt"));
            if !path.exists() {
                let temp = dir.join(format!(".part-{f}.txt.tmp"));
                let io = |e: std::io::Error| Error::file(&temp, "writing", &e);
                let mut w = std::io::BufWriter::new(std::fs::File::create(&temp).map_err(io)?);
                // u128: n * f overflows u64 for huge n.
                let bound = |k: u64| (nlines as u128 * k as u128 / files as u128) as u64;
                let (start, end) = (bound(f), bound(f + 1));
                for line in start..end {
                    w.write_all(self.line(line).as_bytes()).map_err(io)?;
                    w.write_all(b"\n").map_err(io)?;
                }
                w.flush().map_err(io)?;
                drop(w);
                std::fs::rename(&temp, &path).map_err(|e| Error::file(&path, "renaming", &e))?;
            }
            paths.push(path);
        }
        Ok(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::{Corpus, splitmix64};

    #[test]
    fn guided_sampling_equals_a_full_binary_search() {
        let c = Corpus::new(5_000, 10, 1);
        let mut state = 7;
        for _ in 0..200_000 {
            let u = (splitmix64(&mut state) >> 11) as f64 / (1_u64 << 53) as f64;
            let full = c.cdf.partition_point(|&x| x <= u).min(c.words.len() - 1);
            assert_eq!(c.rank_of(u), full, "u = {u}");
        }
        for u in [0.0, 1e-300, 0.5, 1.0 - f64::EPSILON] {
            assert_eq!(c.rank_of(u), c.cdf.partition_point(|&x| x <= u).min(4_999));
        }
    }
}
