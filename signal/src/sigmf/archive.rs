//! `.sigmf` archives: a POSIX tar of `.sigmf-meta` / `.sigmf-data` pairs, read and
//! written in memory (no I/O).

use super::{Recording, SampleBudget, SigmfError};

/// Tar block size, bytes.
const BLOCK: usize = 512;

/// Reads a `.sigmf` archive (a POSIX tar holding `.sigmf-meta` / `.sigmf-data` pairs) into
/// its recordings, named by their path without extension, in archive order. Each recording
/// is checked as [`Recording::from_bytes`] checks it; the error names the recording. At
/// most [`super::MAX_DECODED_SAMPLES`] samples are decoded in all.
pub fn read_archive(bytes: &[u8]) -> Result<Vec<(String, Recording)>, SigmfError> {
    read_archive_within(bytes, &mut SampleBudget::default())
}

/// [`read_archive`], spending each recording's samples from `budget` (shared by several
/// archives of one upload); decoding stops at the first recording that does not fit.
pub fn read_archive_within(
    bytes: &[u8],
    budget: &mut SampleBudget,
) -> Result<Vec<(String, Recording)>, SigmfError> {
    let bad = |m: String| SigmfError::Archive(m);
    let mut metas: Vec<(String, &[u8])> = Vec::new();
    let mut datas: Vec<(String, &[u8])> = Vec::new();
    // a long name (GNU 'L' entry, or a PAX 'x' header's `path`) and a PAX `size` for the
    // next entry
    let (mut long_name, mut pax_size): (Option<String>, Option<u64>) = (None, None);
    let mut at = 0usize;
    while at + BLOCK <= bytes.len() {
        let h = &bytes[at..at + BLOCK];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let (name, size) = parse_header(h, at, pax_size.take())?;
        let start = at + BLOCK;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| {
                bad(format!(
                    "`{name}` needs {size} bytes but the archive ends first (truncated)"
                ))
            })?;
        let body = &bytes[start..end];
        match h[156] {
            // GNU long name: the next entry's name is this entry's data
            b'L' => {
                let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
                long_name = Some(String::from_utf8_lossy(&body[..end]).into_owned());
            }
            // PAX extended header for the next entry: `path` and `size` are honoured
            b'x' => {
                let (path, size) = pax_records(body)
                    .map_err(|why| bad(format!("PAX header at byte {at} is malformed: {why}")))?;
                long_name = path.or(long_name);
                pax_size = size;
            }
            // regular files only ('0' or NUL); directories, links and global PAX headers
            // are skipped
            b'0' | 0 => {
                let name = long_name.take().unwrap_or(name);
                let entry = if let Some(stem) = name.strip_suffix(".sigmf-meta") {
                    Some((&mut metas, stem))
                } else {
                    name.strip_suffix(".sigmf-data")
                        .map(|stem| (&mut datas, stem))
                };
                if let Some((list, stem)) = entry {
                    if list.iter().any(|(s, _)| s == stem) {
                        return Err(bad(format!(
                            "`{name}` appears twice: refusing to guess which one is meant"
                        )));
                    }
                    list.push((stem.to_string(), body));
                }
            }
            _ => long_name = None,
        }
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    if metas.is_empty() {
        return Err(bad("it holds no .sigmf-meta file".into()));
    }
    decode_pairs(metas, &datas, budget)
}

/// Each `.sigmf-meta` with its `.sigmf-data`, decoded, spending their samples from
/// `budget`; a refused archive keeps none of its recordings, so it spends nothing.
fn decode_pairs(
    metas: Vec<(String, &[u8])>,
    datas: &[(String, &[u8])],
    budget: &mut SampleBudget,
) -> Result<Vec<(String, Recording)>, SigmfError> {
    let bad = |m: String| SigmfError::Archive(m);
    let before = *budget;
    let read: Result<Vec<_>, _> = metas
        .into_iter()
        .map(|(stem, meta)| {
            let data = datas
                .iter()
                .find(|(s, _)| *s == stem)
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    bad(format!(
                        "`{stem}.sigmf-meta` has no `{stem}.sigmf-data` beside it"
                    ))
                })?;
            let rec = Recording::from_bytes(meta, data)
                .map_err(|e| bad(format!("recording `{stem}`: {e}")))?;
            budget.spend(rec.samples.len())?;
            Ok((stem, rec))
        })
        .collect();
    if read.is_err() {
        *budget = before;
    }
    read
}

/// The entry name and data size of the tar header block `h` at byte `at` (checksum
/// checked; `pax_size`, from a preceding PAX header, overrides the header's size).
fn parse_header(h: &[u8], at: usize, pax_size: Option<u64>) -> Result<(String, usize), SigmfError> {
    let bad = |m: String| SigmfError::Archive(m);
    let text = |r: std::ops::Range<usize>| -> String {
        let f = &h[r];
        let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
        String::from_utf8_lossy(&f[..end]).into_owned()
    };
    // the checksum counts its own field as spaces; old tars summed signed bytes
    let (mut unsigned, mut signed) = (0u32, 0i32);
    for (i, &b) in h.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u32::from(b);
        signed += i32::from(b as i8);
    }
    let want = u32::from_str_radix(text(148..156).trim(), 8).map_err(|_| {
        bad(format!(
            "header at byte {at} has no checksum (not a tar file?)"
        ))
    })?;
    if unsigned != want && i64::from(signed) != i64::from(want) {
        return Err(bad(format!(
            "header at byte {at} fails its checksum (not a tar file?)"
        )));
    }
    let size = match pax_size {
        Some(s) => s,
        None => u64::from_str_radix(text(124..136).trim(), 8)
            .map_err(|_| bad(format!("header at byte {at} has an invalid size")))?,
    };
    let size =
        usize::try_from(size).map_err(|_| bad(format!("entry at byte {at} is too large")))?;
    let mut name = text(0..100);
    if &h[257..262] == b"ustar" {
        let prefix = text(345..500);
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
    }
    Ok((name, size))
}

/// The `path` and `size` records of a PAX extended header (`"<len> <key>=<value>\n"`
/// records; others are ignored).
fn pax_records(body: &[u8]) -> Result<(Option<String>, Option<u64>), String> {
    let (mut path, mut size) = (None, None);
    let mut rest = body;
    while !rest.is_empty() && rest[0] != 0 {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or("a record without a length")?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&n| n > sp + 1 && n <= rest.len())
            .ok_or("a record with an impossible length")?;
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            let value = String::from_utf8_lossy(&record[eq + 1..]).into_owned();
            match &record[..eq] {
                b"path" => path = Some(value),
                b"size" => size = Some(value.parse().map_err(|_| "a size that is not a number")?),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    Ok((path, size))
}

/// Writes a `.sigmf` archive (ustar) of `(name, meta, data)` recordings under folder
/// `folder`: `folder/name.sigmf-meta` and `folder/name.sigmf-data` for each.
pub fn write_archive(folder: &str, recordings: &[(&str, &[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, meta, data) in recordings {
        tar_entry(&mut out, &format!("{folder}/{name}.sigmf-meta"), meta, b'0');
        tar_entry(&mut out, &format!("{folder}/{name}.sigmf-data"), data, b'0');
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

/// Appends one ustar entry (header of type `kind`, then `body` padded to whole blocks);
/// names longer than 99 bytes are cut (a long name needs an `L` or `x` entry first).
fn tar_entry(out: &mut Vec<u8>, path: &str, body: &[u8], kind: u8) {
    let mut h = [0u8; BLOCK];
    let name = path.as_bytes();
    let n = name.len().min(99);
    h[..n].copy_from_slice(&name[..n]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    let size = format!("{:011o}\0", body.len());
    h[124..136].copy_from_slice(size.as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(body);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sigmf::encode_cf32_le;
    use crate::sigmf::tests::sample_meta;
    use crate::C32;

    #[test]
    fn archives_round_trip_and_corruption_is_named() {
        let data = encode_cf32_le(&[C32::new(1.0, -1.0); 4]);
        let meta = sample_meta();
        let tar = write_archive("rec", &[("a", &meta, &data), ("b", &meta, &data)]);
        let recs = read_archive(&tar).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, "rec/a");
        assert_eq!(recs[1].1.samples.len(), 4);
        assert_eq!(recs[1].1.meta.annotations[0].label.as_deref(), Some("GMSK"));

        // a budget shared across archives: 8 samples fit, a ninth does not
        let mut budget = SampleBudget::new(9);
        assert_eq!(read_archive_within(&tar, &mut budget).unwrap().len(), 2);
        assert_eq!(budget.spent, 8);
        let e = read_archive_within(&tar, &mut budget).unwrap_err();
        assert!(
            matches!(
                e,
                SigmfError::Budget {
                    samples: 12,
                    budget: 9
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("split it"));
        assert_eq!(budget.spent, 8, "a refused archive spends nothing");
        // ... also when its first recording fit and a later one did not
        let mut budget = SampleBudget::new(6);
        assert!(read_archive_within(&tar, &mut budget).is_err());
        assert_eq!(budget.spent, 0);

        let truncated = &tar[..BLOCK + 10];
        let e = read_archive(truncated).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let mut flipped = tar.clone();
        flipped[3] ^= 0x55;
        let e = read_archive(&flipped).unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = read_archive(b"hello").unwrap_err().to_string();
        assert!(e.contains("no .sigmf-meta"), "{e}");
        let lone = write_archive("rec", &[]);
        assert!(read_archive(&lone).is_err());
        let mut nan = data.clone();
        nan[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        let bad = write_archive("rec", &[("a", &meta, &nan)]);
        let e = read_archive(&bad).unwrap_err().to_string();
        assert!(e.contains("rec/a") && e.contains("not finite"), "{e}");
    }

    #[test]
    fn long_names_are_read_and_repeated_names_refused() {
        let data = encode_cf32_le(&[C32::new(1.0, -1.0); 4]);
        let meta = sample_meta();
        let long = format!("captures/{}/burst", "x".repeat(120));
        // GNU long names (`L` entries), as GNU tar writes them
        let mut gnu = Vec::new();
        for (ext, body) in [("sigmf-meta", &meta), ("sigmf-data", &data)] {
            let path = format!("{long}.{ext}");
            tar_entry(
                &mut gnu,
                "././@LongLink",
                format!("{path}\0").as_bytes(),
                b'L',
            );
            tar_entry(&mut gnu, &path, body, b'0');
        }
        gnu.resize(gnu.len() + 2 * BLOCK, 0);
        let recs = read_archive(&gnu).unwrap();
        assert_eq!(recs[0].0, long);
        // PAX extended headers (`x` entries), as Python's tarfile writes them
        let mut pax = Vec::new();
        for (ext, body) in [("sigmf-meta", &meta), ("sigmf-data", &data)] {
            let record = format!("path={long}.{ext}\n");
            let mut len = record.len() + 3;
            if format!("{len} {record}").len() != len {
                len += 1;
            }
            tar_entry(
                &mut pax,
                "PaxHeader/x",
                format!("{len} {record}").as_bytes(),
                b'x',
            );
            tar_entry(&mut pax, "cut", body, b'0');
        }
        pax.resize(pax.len() + 2 * BLOCK, 0);
        let recs = read_archive(&pax).unwrap();
        assert_eq!((recs.len(), recs[0].0.as_str()), (1, long.as_str()));
        assert_eq!(recs[0].1.samples.len(), 4);
        let mut broken = Vec::new();
        tar_entry(&mut broken, "PaxHeader/x", b"99 path=a\n", b'x');
        let e = read_archive(&broken).unwrap_err().to_string();
        assert!(e.contains("PAX"), "{e}");
        // the same member twice: refused, not last-wins
        let twice = write_archive("rec", &[("a", &meta, &data), ("a", &meta, &data)]);
        let e = read_archive(&twice).unwrap_err().to_string();
        assert!(e.contains("appears twice"), "{e}");
    }
}
