//! X ids carry their creation time: the top 42 bits count milliseconds since the Twitter epoch.
//! Reading the time from the id gives millisecond precision that `created_at` (whole seconds)
//! lacks, which response-time metrics need.

/// Milliseconds between the Unix epoch and the Twitter snowflake epoch (2010-11-04T01:42:54.657Z).
pub const TWITTER_EPOCH_MS: i64 = 1_288_834_974_657;

/// First id issued under the snowflake scheme; older ids are sequential and carry no time.
pub const FIRST_SNOWFLAKE_ID: u64 = 29_700_859_247;

/// Creation time in Unix milliseconds for a snowflake id, or `None` for pre-snowflake ids.
pub fn time_ms(id: u64) -> Option<i64> {
    if id < FIRST_SNOWFLAKE_ID {
        return None;
    }
    Some((id >> 22) as i64 + TWITTER_EPOCH_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_vectors() {
        // x-formats.md §1: the v1.1 timestamp_ms of tweet 847804888365117440.
        assert_eq!(time_ms(847_804_888_365_117_440), Some(1_490_967_411_496));
        // §3.6: the synthetic citizen/ministry pair.
        assert_eq!(time_ms(1_766_754_625_639_153_664), Some(1_710_062_102_123));
        assert_eq!(time_ms(1_766_791_234_921_168_896), Some(1_710_070_830_456));
        assert_eq!(time_ms(12_345), None);
    }
}
