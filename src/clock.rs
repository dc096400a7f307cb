//! Time as the engine sees it: passed in by the driver, never read from a global clock.

/// One reading of the browser's clock: UTC milliseconds since the epoch and the local UTC
/// offset in minutes at that instant (east positive, so `-Date#getTimezoneOffset()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub utc_ms: i64,
    pub offset_min: i32,
}

impl Now {
    pub fn utc(utc_ms: i64) -> Now {
        Now {
            utc_ms,
            offset_min: 0,
        }
    }
}

/// `YYYY-MM-DDTHH:mm:ss` of the UTC instant: exactly `new Date(ms).toISOString().slice(0, 19)`.
pub fn utc_stamp(utc_ms: i64) -> String {
    let secs = utc_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        tod / 3600,
        (tod % 3600) / 60,
        tod % 60
    )
}

/// `±HH:MM` of an offset east of UTC in minutes, as the vendor's browser client writes it
/// (`+00:00` for UTC, `-09:30` for Marquesas).
pub fn offset_label(offset_min: i32) -> String {
    let sign = if offset_min >= 0 { '+' } else { '-' };
    let abs = offset_min.unsigned_abs();
    format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// The local calendar day (yyyymmdd) of a UTC instant, `offset_min` east of UTC; 0 when the
/// year is outside 0..=9999.
pub fn local_day_key(utc_ms: i64, offset_min: i32) -> u32 {
    let local = utc_ms.saturating_add(i64::from(offset_min) * 60_000);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400_000));
    match u32::try_from(y) {
        Ok(y) if y <= 9999 => y * 10_000 + m * 100 + d,
        _ => 0,
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
