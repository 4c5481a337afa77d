//! Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1G`), enough for the resource
//! tables of `kubectl describe node`: parsing to thousandths of a unit and printing back.
//!
//! Our own code on purpose: the printed form follows apimachinery's `resource.Quantity`
//! canonical spelling as kubectl shows it (`250m`, `128Mi`), which is the point here.

/// Parses a quantity to thousandths of its unit (millicores for CPU, millibytes for memory),
/// rounding up as Kubernetes does. `None` when it is not a quantity.
pub fn parse_milli(q: &str) -> Option<i128> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let (neg, num) = match num.strip_prefix('-') {
        Some(n) => (true, n),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Value as mantissa / 10^scale.
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 || frac.len() > 30 {
        return None;
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut scale = frac.len() as i32;
    // Multiplier as (numerator, power of ten).
    let (mul, pow10): (i128, i32) = match suffix {
        "" => (1, 0),
        "n" => (1, -9),
        "u" => (1, -6),
        "m" => (1, -3),
        "k" => (1, 3),
        "M" => (1, 6),
        "G" => (1, 9),
        "T" => (1, 12),
        "P" => (1, 15),
        "E" => (1, 18),
        "Ki" => (1 << 10, 0),
        "Mi" => (1 << 20, 0),
        "Gi" => (1 << 30, 0),
        "Ti" => (1 << 40, 0),
        "Pi" => (1 << 50, 0),
        "Ei" => (1 << 60, 0),
        s if s.starts_with(['e', 'E']) => {
            (1, s[1..].parse::<i32>().ok().filter(|e| e.abs() <= 18)?)
        }
        _ => return None,
    };
    // milli = mantissa * mul * 10^(pow10 + 3 - scale), rounded up.
    scale -= pow10 + 3;
    let mut v = mantissa.checked_mul(mul)?;
    if scale <= 0 {
        v = v.checked_mul(10i128.checked_pow((-scale) as u32)?)?;
    } else {
        let d = 10i128.checked_pow(scale as u32)?;
        v = (v + d - 1) / d;
    }
    Some(if neg { -v } else { v })
}

/// Prints millicores as kubectl does: `100m`, or whole cores as `2`.
pub fn format_cpu(milli: i128) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// Prints bytes (given in thousandths) with the largest binary suffix that divides them,
/// else the largest decimal one (`128Mi`, `1G`, `0`).
pub fn format_memory(milli: i128) -> String {
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let b = milli / 1000;
    if b == 0 {
        return "0".into();
    }
    for (suffix, shift) in [
        ("Ei", 60),
        ("Pi", 50),
        ("Ti", 40),
        ("Gi", 30),
        ("Mi", 20),
        ("Ki", 10),
    ] {
        let unit = 1i128 << shift;
        if b % unit == 0 {
            return format!("{}{suffix}", b / unit);
        }
    }
    for (suffix, pow) in [
        ("E", 18),
        ("P", 15),
        ("T", 12),
        ("G", 9),
        ("M", 6),
        ("k", 3),
    ] {
        let unit = 10i128.pow(pow);
        if b % unit == 0 {
            return format!("{}{suffix}", b / unit);
        }
    }
    b.to_string()
}

/// `value (pct%)` of an allocatable amount, as in `kubectl describe node`.
pub fn with_percent(text: String, milli: i128, allocatable: i128) -> String {
    let pct = if allocatable > 0 {
        milli * 100 / allocatable
    } else {
        0
    };
    format!("{text} ({pct}%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse_milli("100m"), Some(100));
        assert_eq!(parse_milli("1"), Some(1000));
        assert_eq!(parse_milli("0.5"), Some(500));
        assert_eq!(parse_milli("128Mi"), Some(128 * 1024 * 1024 * 1000));
        assert_eq!(parse_milli("1G"), Some(1_000_000_000_000));
        assert_eq!(parse_milli("1e3"), Some(1_000_000));
        assert_eq!(parse_milli("1n"), Some(1));
        assert_eq!(parse_milli("x"), None);
        assert_eq!(parse_milli(""), None);
        assert_eq!(parse_milli("1.2.3"), None);
        assert_eq!(parse_milli("5Q"), None);
        assert_eq!(
            parse_milli("99999999999999999999999999999999999999999Ei"),
            None
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_cpu(100), "100m");
        assert_eq!(format_cpu(2000), "2");
        assert_eq!(format_memory(128 * 1024 * 1024 * 1000), "128Mi");
        assert_eq!(format_memory(1_000_000_000_000), "1G");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1500), "1500m");
        assert_eq!(with_percent("100m".into(), 100, 8000), "100m (1%)");
        assert_eq!(with_percent("0".into(), 0, 0), "0 (0%)");
    }
}
