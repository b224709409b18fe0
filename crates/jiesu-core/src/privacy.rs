//! Personal data rules: what a handling unit may see of a caller.

/// Masks a phone number for a handling unit: `13812341234` → `138****1234`.
///
/// Keeps the first three and last four digits of a mobile number; shorter numbers keep less,
/// and a number of four digits or fewer is masked whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n <= 4 {
        return "*".repeat(n);
    }
    let (head, tail) = match n {
        11.. => (3, 4),
        7..=10 => (2, 2),
        _ => (0, 1),
    };
    let masked = n - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(masked));
    out.extend(&chars[n - tail..]);
    out
}

/// What replaces the caller's name on a confidential ticket.
pub const HIDDEN_NAME: &str = "***";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_keep_three_and_four() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("+8613812341234"), "+86*******1234");
    }

    #[test]
    fn short_numbers_never_show_whole() {
        for p in ["12345", "6512345", "010-6512345", "1234", ""] {
            let m = mask_phone(p);
            assert_eq!(m.chars().count(), p.chars().count());
            if !p.is_empty() {
                assert_ne!(m, p, "{p} shown unmasked");
                assert!(m.contains('*'));
            }
        }
    }
}
