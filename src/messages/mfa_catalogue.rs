//! The second-factor pages' own strings, per language (the login pages'
//! catalogue gives the shared ones: code errors, the switch). `{hint}` is
//! the masked phone number or address.

use super::catalogue::{self, Catalogue};

/// One language's strings for the second-factor pages.
#[derive(Debug)]
pub struct MfaCatalogue {
    /// The login pages' catalogue of the same language.
    pub t: &'static Catalogue,
    pub title: &'static str,
    pub intro: &'static str,
    pub use_totp: &'static str,
    pub use_sms: &'static str,
    pub use_email: &'static str,
    pub use_recovery: &'static str,
    pub totp_label: &'static str,
    pub recovery_label: &'static str,
    pub other_way: &'static str,
    pub replayed: &'static str,
    pub wrong_recovery: &'static str,
    pub enroll_title: &'static str,
    pub enroll_intro: &'static str,
    pub enroll_start: &'static str,
    pub secret_label: &'static str,
    pub recovery_title: &'static str,
    pub recovery_intro: &'static str,
    pub unmet: &'static str,
}

pub const EN: MfaCatalogue = MfaCatalogue {
    t: &catalogue::EN,
    title: "Two-step verification",
    intro: "For your security, confirm it's you a second way.",
    use_totp: "Use your authenticator app",
    use_sms: "Text a code to {hint}",
    use_email: "Email a code to {hint}",
    use_recovery: "Use a recovery code",
    totp_label: "Code from your authenticator app",
    recovery_label: "Recovery code",
    other_way: "Use another way",
    replayed: "This code was already used. Wait for the next one in your app.",
    wrong_recovery: "This recovery code is not valid.",
    enroll_title: "Set up an authenticator app",
    enroll_intro: "Your account needs a second way to sign in. Scan this QR code with an authenticator app, or type the key, then enter the code the app shows.",
    enroll_start: "Set up an authenticator app",
    secret_label: "Key",
    recovery_title: "Save your recovery codes",
    recovery_intro: "If you lose your authenticator app, each of these codes lets you sign in once. Keep them somewhere safe: they will not be shown again.",
    unmet: "This sign-in needs a second way to confirm it's you that your account does not have. Add one on your account page, then try again.",
};

pub const FR: MfaCatalogue = MfaCatalogue {
    t: &catalogue::FR,
    title: "Validation en deux étapes",
    intro: "Pour votre sécurité, confirmez votre identité d'une deuxième façon.",
    use_totp: "Utiliser votre application d'authentification",
    use_sms: "Recevoir un code par SMS au {hint}",
    use_email: "Recevoir un code par e-mail à {hint}",
    use_recovery: "Utiliser un code de récupération",
    totp_label: "Code de votre application d'authentification",
    recovery_label: "Code de récupération",
    other_way: "Utiliser une autre méthode",
    replayed: "Ce code a déjà été utilisé. Attendez le suivant dans votre application.",
    wrong_recovery: "Ce code de récupération n'est pas valide.",
    enroll_title: "Configurer une application d'authentification",
    enroll_intro: "Votre compte exige une deuxième méthode de connexion. Scannez ce QR code avec une application d'authentification, ou saisissez la clé, puis entrez le code affiché.",
    enroll_start: "Configurer une application d'authentification",
    secret_label: "Clé",
    recovery_title: "Conservez vos codes de récupération",
    recovery_intro: "Si vous perdez votre application d'authentification, chacun de ces codes permet de vous connecter une fois. Gardez-les en lieu sûr : ils ne seront plus affichés.",
    unmet: "Cette connexion exige une deuxième méthode de vérification que votre compte n'a pas. Ajoutez-en une depuis votre compte, puis réessayez.",
};

pub const NL: MfaCatalogue = MfaCatalogue {
    t: &catalogue::NL,
    title: "Verificatie in twee stappen",
    intro: "Bevestig voor je veiligheid op een tweede manier dat jij het bent.",
    use_totp: "Je authenticator-app gebruiken",
    use_sms: "Een code sms'en naar {hint}",
    use_email: "Een code e-mailen naar {hint}",
    use_recovery: "Een herstelcode gebruiken",
    totp_label: "Code uit je authenticator-app",
    recovery_label: "Herstelcode",
    other_way: "Een andere manier gebruiken",
    replayed: "Deze code is al gebruikt. Wacht op de volgende in je app.",
    wrong_recovery: "Deze herstelcode is niet geldig.",
    enroll_title: "Een authenticator-app instellen",
    enroll_intro: "Je account heeft een tweede manier van inloggen nodig. Scan deze QR-code met een authenticator-app, of typ de sleutel, en voer dan de code uit de app in.",
    enroll_start: "Een authenticator-app instellen",
    secret_label: "Sleutel",
    recovery_title: "Bewaar je herstelcodes",
    recovery_intro: "Als je je authenticator-app kwijtraakt, kun je met elk van deze codes één keer inloggen. Bewaar ze op een veilige plek: ze worden niet meer getoond.",
    unmet: "Voor deze aanmelding is een tweede manier van bevestigen nodig die je account niet heeft. Voeg er een toe op je accountpagina en probeer het opnieuw.",
};

pub const ES: MfaCatalogue = MfaCatalogue {
    t: &catalogue::ES,
    title: "Verificación en dos pasos",
    intro: "Por tu seguridad, confirma que eres tú de una segunda forma.",
    use_totp: "Usar tu aplicación de autenticación",
    use_sms: "Enviar un código por SMS al {hint}",
    use_email: "Enviar un código por correo a {hint}",
    use_recovery: "Usar un código de recuperación",
    totp_label: "Código de tu aplicación de autenticación",
    recovery_label: "Código de recuperación",
    other_way: "Usar otra forma",
    replayed: "Este código ya se usó. Espera al siguiente en tu aplicación.",
    wrong_recovery: "Este código de recuperación no es válido.",
    enroll_title: "Configurar una aplicación de autenticación",
    enroll_intro: "Tu cuenta necesita una segunda forma de iniciar sesión. Escanea este código QR con una aplicación de autenticación, o escribe la clave, y luego introduce el código que muestra.",
    enroll_start: "Configurar una aplicación de autenticación",
    secret_label: "Clave",
    recovery_title: "Guarda tus códigos de recuperación",
    recovery_intro: "Si pierdes tu aplicación de autenticación, cada uno de estos códigos te permite iniciar sesión una vez. Guárdalos en un lugar seguro: no se volverán a mostrar.",
    unmet: "Este inicio de sesión necesita una segunda forma de confirmar que eres tú que tu cuenta no tiene. Añade una en tu cuenta y vuelve a intentarlo.",
};

pub const DE: MfaCatalogue = MfaCatalogue {
    t: &catalogue::DE,
    title: "Bestätigung in zwei Schritten",
    intro: "Bestätige zu deiner Sicherheit auf einem zweiten Weg, dass du es bist.",
    use_totp: "Authenticator-App verwenden",
    use_sms: "Code per SMS an {hint} senden",
    use_email: "Code per E-Mail an {hint} senden",
    use_recovery: "Wiederherstellungscode verwenden",
    totp_label: "Code aus deiner Authenticator-App",
    recovery_label: "Wiederherstellungscode",
    other_way: "Anderen Weg verwenden",
    replayed: "Dieser Code wurde schon verwendet. Warte auf den nächsten in deiner App.",
    wrong_recovery: "Dieser Wiederherstellungscode ist ungültig.",
    enroll_title: "Authenticator-App einrichten",
    enroll_intro: "Dein Konto braucht einen zweiten Weg zur Anmeldung. Scanne diesen QR-Code mit einer Authenticator-App oder gib den Schlüssel ein, und gib dann den angezeigten Code ein.",
    enroll_start: "Authenticator-App einrichten",
    secret_label: "Schlüssel",
    recovery_title: "Wiederherstellungscodes sichern",
    recovery_intro: "Wenn du deine Authenticator-App verlierst, kannst du dich mit jedem dieser Codes einmal anmelden. Bewahre sie sicher auf: Sie werden nicht noch einmal angezeigt.",
    unmet: "Diese Anmeldung braucht einen zweiten Bestätigungsweg, den dein Konto nicht hat. Füge auf deiner Kontoseite einen hinzu und versuche es erneut.",
};

/// Every language of the second-factor pages, in the switch's order.
pub const MFA_CATALOGUES: [&MfaCatalogue; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The second-factor catalogue of the login catalogue's language.
pub fn mfa_catalogue_for(t: &Catalogue) -> &'static MfaCatalogue {
    MFA_CATALOGUES
        .iter()
        .find(|m| m.t.lang == t.lang)
        .copied()
        .unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_hints_placeholders() {
        for m in MFA_CATALOGUES {
            assert!(m.use_sms.contains("{hint}"), "{}", m.t.lang);
            assert!(m.use_email.contains("{hint}"), "{}", m.t.lang);
        }
        assert_eq!(mfa_catalogue_for(&catalogue::DE).t.lang, "de");
    }
}
