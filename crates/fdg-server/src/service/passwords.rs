//! Refusing passwords that are easy to guess: a list of common passwords (English and
//! Danish, at least 12 characters, the minimum), and the shapes guessers try first. Checked
//! when a user chooses a password (`POST /password`).

/// Common passwords of 12 characters or more, lowercase. Compared after lowercasing and
/// removing spaces, so "Password1234" and "password 1234" are caught too.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789abc",
    "1234567890qwerty",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "qwertyuiopasdfgh",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyqwerty",
    "asdfghjkl123",
    "asdfghjklzxc",
    "zxcvbnm12345",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "password!123",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "welcome2024!",
    "welcome2025!",
    "welcome2026!",
    "changeme1234",
    "changemenow!",
    "administrator",
    "administrator1",
    "admin1234567",
    "adminadmin12",
    "superman1234",
    "football1234",
    "baseball1234",
    "monkey123456",
    "dragon123456",
    "sunshine1234",
    "princess1234",
    "abc123456789",
    "abcdefghijkl",
    "abcdefgh1234",
    "trustno1trustno1",
    "starwars1234",
    "whatever1234",
    "qazwsxedcrfv",
    "mypassword12",
    "mypassword123",
    "secretpassword",
    "topsecret123",
    "computer1234",
    "internet1234",
    "christmas123",
    "summer2024!!",
    "winter2024!!",
    "adgangskode1",
    "adgangskode12",
    "adgangskode123",
    "adgangskode1234",
    "kodeord12345",
    "kodeord123456",
    "hemmeligt123",
    "hemmelighed1",
    "sommer202412",
    "sommerferie1",
    "sommerferie2024",
    "sommerferie2025",
    "vinter202412",
    "foraar202412",
    "efteraar2024",
    "danmark12345",
    "danmark123456",
    "danmark2024!",
    "kobenhavn123",
    "koebenhavn123",
    "københavn123",
    "jobcenter123",
    "jobcenter1234",
    "jobcenteret1",
    "kommunen1234",
    "velkommen123",
    "velkommen1234",
    "velkommen2024",
    "velkommen2025",
    "velkommen2026",
    "fdgfdgfdgfdg",
    "fdgpassword1",
    "registrering",
    "registrering1",
    "arbejdsløs123",
];

/// Why `password` is too easy to guess for user `username`, or `None`. The answer is a key
/// the caller turns into the user's language.
pub fn weakness(password: &str, username: &str) -> Option<Weakness> {
    let folded: String = password
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if COMMON.contains(&folded.as_str()) {
        return Some(Weakness::Common);
    }
    let name = username.trim().to_lowercase();
    if name.len() >= 3 && folded.contains(&name) {
        return Some(Weakness::ContainsUsername);
    }
    let chars: Vec<char> = folded.chars().collect();
    let distinct = {
        let mut c = chars.clone();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    // "aaaaaaaaaaaa", "abababababab", "121212121212".
    if distinct <= 3 {
        return Some(Weakness::Repetitive);
    }
    // "abcdefghijklm", "234567890123", "zyxwvutsrqpo": each character one after the last.
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    if steps.iter().all(|&d| d == 1 || d == -9) || steps.iter().all(|&d| d == -1 || d == 9) {
        return Some(Weakness::Sequence);
    }
    None
}

/// What makes a password too easy to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// It is on the list of common passwords.
    Common,
    /// It contains the username.
    ContainsUsername,
    /// It repeats a few characters.
    Repetitive,
    /// It is a run of consecutive characters.
    Sequence,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_guessable_passwords_are_refused_and_a_passphrase_is_not() {
        for (pw, why) in [
            ("Password1234", Weakness::Common),
            ("adgang skode 123", Weakness::Common),
            ("Velkommen2025", Weakness::Common),
            ("annb-er-min-kode", Weakness::ContainsUsername),
            ("abababababab", Weakness::Repetitive),
            ("aaaaaaaaaaaaaaaa", Weakness::Repetitive),
            ("3456789012345", Weakness::Sequence),
            ("lmnopqrstuvw", Weakness::Sequence),
        ] {
            assert_eq!(weakness(pw, "annb"), Some(why), "{pw}");
        }
        assert_eq!(weakness("hest batteri klips 7", "annb"), None);
        assert_eq!(weakness("a-password-of-my-own", "annb"), None);
    }
}
