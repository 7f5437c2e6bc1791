//! The request groups, timed in paired rounds by the request benches of lc-rtm and lc-web
//! (`lc_bench_raw::paired`): their files read, and turned into medians and per-round
//! ratios with their spread.

/// Where the request benches write their rounds, under cargo's target directory (given
/// to them as `LC_PAIRED_HOME`).
pub(crate) const HOME: &str = "lc-bench/paired";

/// A ratio over the rounds: its median and the middle half of the rounds (25th to 75th
/// percentile).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    pub(crate) median: f64,
    pub(crate) low: f64,
    pub(crate) high: f64,
}

impl Spread {
    /// The spread of `values` (at least one).
    fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        let at = |quarter: usize| values[(values.len() - 1) * quarter / 4];
        Spread {
            median: values[values.len() / 2],
            low: at(1),
            high: at(3),
        }
    }
}

/// A group's rounds: the median time per iteration of each client, and the per-round
/// ratios, each in the sense of the report (time ÷ baseline time for latency groups,
/// rate ÷ baseline rate for throughput groups).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Paired {
    /// Rounds measured.
    pub(crate) rounds: usize,
    /// Median nanoseconds per iteration of the baseline.
    pub(crate) baseline_ns: f64,
    /// Median nanoseconds per iteration of the SDK.
    pub(crate) sdk_ns: f64,
    /// Median nanoseconds per iteration of the reader client, where the group has one.
    pub(crate) reader_ns: Option<f64>,
    /// SDK against baseline.
    pub(crate) sdk: Spread,
    /// The reader client against baseline, and the SDK against the reader client.
    pub(crate) reader: Option<(Spread, Spread)>,
}

/// Reads the rounds a request bench wrote (`# comment` lines, then one line per client:
/// its name and its nanoseconds per iteration in each round). `throughput` says the
/// sense of the ratios; `reader` that the group has a `reader` client.
pub(crate) fn parse(text: &str, throughput: bool, reader: bool) -> Result<Paired, String> {
    let mut clients: Vec<(&str, Vec<f64>)> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let name = words.next().unwrap_or_default();
        let times = words
            .map(|word| match word.parse::<f64>() {
                Ok(ns) if ns.is_finite() && ns > 0.0 => Ok(ns),
                _ => Err(format!("`{name}`: `{word}` is not a positive time")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        clients.push((name, times));
    }
    let find = |name: &str| -> Result<&Vec<f64>, String> {
        let (_, times) = clients
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("no `{name}` rounds"))?;
        if times.is_empty() {
            return Err(format!("no `{name}` rounds"));
        }
        Ok(times)
    };
    let baseline = find("baseline")?;
    let sdk = find("sdk")?;
    let reader = reader.then(|| find("reader")).transpose()?;
    let rounds = baseline.len();
    if sdk.len() != rounds || reader.is_some_and(|r| r.len() != rounds) {
        return Err("the clients ran different numbers of rounds".to_owned());
    }
    let ratios = |of: &[f64], to: &[f64]| {
        Spread::of(
            of.iter()
                .zip(to)
                .map(|(ns, base)| if throughput { base / ns } else { ns / base })
                .collect(),
        )
    };
    let median = |times: &[f64]| Spread::of(times.to_vec()).median;
    Ok(Paired {
        rounds,
        baseline_ns: median(baseline),
        sdk_ns: median(sdk),
        reader_ns: reader.map(|r| median(r)),
        sdk: ratios(sdk, baseline),
        reader: reader.map(|r| (ratios(r, baseline), ratios(sdk, r))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUNDS: &str = "# rtm_round_trip: ns per iteration, 400 iterations per client and round
baseline 100.0 200.0 100.0 100.0 100.0
reader 110.0 240.0 120.0 100.0 130.0
sdk 121.0 200.0 120.0 110.0 104.0
";

    #[test]
    fn ratios_are_taken_round_by_round_with_the_middle_half_of_the_rounds() {
        let paired = parse(ROUNDS, false, true).unwrap();
        assert_eq!(paired.rounds, 5);
        assert_eq!(
            (paired.baseline_ns, paired.sdk_ns, paired.reader_ns),
            (100.0, 120.0, Some(120.0))
        );
        // SDK ÷ baseline per round: 1.21, 1.0, 1.2, 1.1, 1.04.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(paired.sdk.median, 1.1), "{:?}", paired.sdk);
        assert!(close(paired.sdk.low, 1.04) && close(paired.sdk.high, 1.2));
        let (reader, sdk_reader) = paired.reader.unwrap();
        // Reader ÷ baseline: 1.1, 1.2, 1.2, 1.0, 1.3; SDK ÷ reader: 1.1, 0.833, 1.0, 1.1, 0.8.
        assert!(close(reader.median, 1.2));
        assert!(close(sdk_reader.median, 1.0));
    }

    #[test]
    fn throughput_ratios_are_rates_and_a_group_without_reader_ignores_it() {
        let paired = parse("baseline 100 100 100\nsdk 125 125 80\n", true, false).unwrap();
        assert_eq!(paired.sdk.median, 0.8);
        assert_eq!(paired.sdk.high, 0.8);
        assert_eq!(paired.sdk.low, 0.8);
        assert_eq!(paired.reader, None);
    }

    #[test]
    fn unusable_rounds_are_errors() {
        assert!(parse("baseline 1 2\n", false, false).is_err(), "no sdk");
        assert!(
            parse("baseline 1 2\nsdk 1\n", false, false).is_err(),
            "lengths"
        );
        assert!(parse("baseline 1\nsdk 0\n", false, false).is_err(), "zero");
        assert!(parse("baseline 1\nsdk x\n", false, false).is_err(), "text");
        assert!(parse("baseline\nsdk\n", false, false).is_err(), "empty");
        assert!(
            parse("baseline 1\nsdk 1\n", false, true).is_err(),
            "no reader"
        );
    }
}
