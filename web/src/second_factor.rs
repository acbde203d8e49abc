//! The second factor: time-based one-time codes (TOTP, RFC 6238: HMAC-SHA1, six digits, 30-second steps), as
//! any authenticator app makes them. A code is accepted for the step before and after the current one (clocks
//! drift), and only once: the step it matched is kept, and a code of that step or an earlier one is refused.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

/// Who the authenticator app says the code is for.
const ISSUER: &str = "expertnet";

/// A person's TOTP secret as stored and shown at enrolment: base32, as authenticator apps take it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random 160-bit secret (the size RFC 4226 recommends).
    pub fn generate() -> TotpSecret {
        let raw: [u8; 20] = rand::random();
        TotpSecret(Secret::from(raw).to_base32())
    }

    /// A stored secret.
    pub fn from_base32(text: &str) -> TotpSecret {
        TotpSecret(text.to_owned())
    }

    pub fn base32(&self) -> &str {
        &self.0
    }

    /// The secret in groups of four, as a person types it into an app.
    pub fn grouped(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(&self.0).ok()?;
        Builder::new()
            .with_secret(secret)
            .with_issuer(Some(ISSUER))
            .with_account_name(account.replace(':', "_"))
            .build()
            .ok()
    }

    /// The time step a code matches at `unix_secs`, or `None`. Spaces in the code are ignored.
    pub fn matching_step(&self, code: &str, unix_secs: u64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let step = self.totp("check")?.check(&code, unix_secs)?;
        i64::try_from(step).ok()
    }

    /// The code an app shows at `unix_secs`: for tests and the demo.
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.totp("code")
            .map(|t| t.generate(unix_secs).to_string())
            .unwrap_or_default()
    }

    /// The `otpauth://` address an app reads from the QR code.
    pub fn url(&self, account: &str) -> String {
        self.totp(account)
            .and_then(|t| t.to_url().ok())
            .unwrap_or_default()
    }

    /// The QR code of [`TotpSecret::url`] as an inline SVG element.
    pub fn qr_svg(&self, account: &str) -> String {
        let Ok(code) = QrCode::new(self.url(account).as_bytes()) else {
            return String::new();
        };
        let svg = code
            .render::<svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build();
        match svg.split_once("?>") {
            Some((_, element)) => element.trim().to_owned(),
            None => svg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_own_step_and_the_neighbours_only() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.base32().len(), 32);
        let now = 1_772_442_000;
        let code = secret.code_at(now);
        assert_eq!(code.len(), 6);
        let step = secret.matching_step(&code, now).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(secret.matching_step(&code, now + 30), Some(step));
        assert_eq!(secret.matching_step(&code, now + 90), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.matching_step(&spaced, now), Some(step));
        assert_eq!(
            TotpSecret::generate().matching_step(&code, now + 3600),
            None
        );
    }

    #[test]
    fn the_enrolment_shows_an_address_and_a_qr_code() {
        let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        let url = secret.url("lekstroom:team");
        assert!(url.starts_with("otpauth://totp/expertnet:"), "{url}");
        assert!(url.contains("secret=JBSWY3DPEHPK3PXP"), "{url}");
        assert!(secret.qr_svg("team").starts_with("<svg"));
        assert_eq!(secret.grouped(), "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
    }
}
