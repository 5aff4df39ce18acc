//! The hosted login's strings for signing in with a code by email, per
//! language. `{n}` is filled in by the page.

/// One language's strings for the email pages of the hosted login.
#[derive(Debug)]
pub struct LoginEmailStrings {
    pub lang: &'static str,
    pub use_email: &'static str,
    pub use_phone: &'static str,
    pub email_label: &'static str,
    pub email_hint: &'static str,
    pub emailed_to: &'static str,
    pub different_address: &'static str,
    pub invalid_email: &'static str,
    pub email_too_long: &'static str,
    pub no_account: &'static str,
    pub address_limit: &'static str,
    pub malformed_code: &'static str,
    pub not_offered: &'static str,
}

pub const EN: LoginEmailStrings = LoginEmailStrings {
    lang: "en",
    use_email: "Use email instead",
    use_phone: "Use phone instead",
    email_label: "Email address",
    email_hint: "We'll email you a {n}-digit code.",
    emailed_to: "We emailed a code to",
    different_address: "Use a different address",
    invalid_email: "Enter an email address like name@example.com.",
    email_too_long: "An email address has at most 254 characters.",
    no_account: "There is no account for this address. Use another address.",
    address_limit: "Too many codes were sent to this address. Try again later.",
    malformed_code: "Enter the {n}-digit code from the email.",
    not_offered: "This way of signing in is not available here.",
};

pub const FR: LoginEmailStrings = LoginEmailStrings {
    lang: "fr",
    use_email: "Utiliser plutôt l'e-mail",
    use_phone: "Utiliser plutôt le téléphone",
    email_label: "Adresse e-mail",
    email_hint: "Nous vous enverrons un code à {n} chiffres par e-mail.",
    emailed_to: "Nous avons envoyé un code par e-mail à",
    different_address: "Utiliser une autre adresse",
    invalid_email: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    email_too_long: "Une adresse e-mail compte au plus 254 caractères.",
    no_account: "Aucun compte n'est associé à cette adresse. Utilisez une autre adresse.",
    address_limit: "Trop de codes ont été envoyés à cette adresse. Réessayez plus tard.",
    malformed_code: "Saisissez le code à {n} chiffres reçu par e-mail.",
    not_offered: "Ce moyen de connexion n'est pas disponible ici.",
};

pub const NL: LoginEmailStrings = LoginEmailStrings {
    lang: "nl",
    use_email: "E-mail gebruiken",
    use_phone: "Telefoon gebruiken",
    email_label: "E-mailadres",
    email_hint: "We mailen je een code van {n} cijfers.",
    emailed_to: "We hebben een code gemaild naar",
    different_address: "Een ander adres gebruiken",
    invalid_email: "Voer een e-mailadres in zoals naam@voorbeeld.nl.",
    email_too_long: "Een e-mailadres heeft hoogstens 254 tekens.",
    no_account: "Er is geen account voor dit adres. Gebruik een ander adres.",
    address_limit: "Er zijn te veel codes naar dit adres gestuurd. Probeer het later opnieuw.",
    malformed_code: "Voer de code van {n} cijfers uit de e-mail in.",
    not_offered: "Deze manier van inloggen is hier niet beschikbaar.",
};

pub const ES: LoginEmailStrings = LoginEmailStrings {
    lang: "es",
    use_email: "Usar el correo en su lugar",
    use_phone: "Usar el teléfono en su lugar",
    email_label: "Dirección de correo",
    email_hint: "Te enviaremos por correo un código de {n} dígitos.",
    emailed_to: "Hemos enviado un código por correo a",
    different_address: "Usar otra dirección",
    invalid_email: "Introduce una dirección de correo como nombre@ejemplo.es.",
    email_too_long: "Una dirección de correo tiene como máximo 254 caracteres.",
    no_account: "No hay ninguna cuenta con esta dirección. Usa otra dirección.",
    address_limit: "Se han enviado demasiados códigos a esta dirección. Inténtalo más tarde.",
    malformed_code: "Introduce el código de {n} dígitos del correo.",
    not_offered: "Esta forma de iniciar sesión no está disponible aquí.",
};

pub const DE: LoginEmailStrings = LoginEmailStrings {
    lang: "de",
    use_email: "Stattdessen E-Mail verwenden",
    use_phone: "Stattdessen Telefon verwenden",
    email_label: "E-Mail-Adresse",
    email_hint: "Wir senden dir einen {n}-stelligen Code per E-Mail.",
    emailed_to: "Wir haben einen Code per E-Mail gesendet an",
    different_address: "Eine andere Adresse verwenden",
    invalid_email: "Gib eine E-Mail-Adresse wie name@beispiel.de ein.",
    email_too_long: "Eine E-Mail-Adresse hat höchstens 254 Zeichen.",
    no_account: "Für diese Adresse gibt es kein Konto. Verwende eine andere Adresse.",
    address_limit: "An diese Adresse wurden zu viele Codes gesendet. Versuche es später erneut.",
    malformed_code: "Gib den {n}-stelligen Code aus der E-Mail ein.",
    not_offered: "Diese Anmeldeart ist hier nicht verfügbar.",
};

/// Every language of the hosted login.
pub const LOGIN_EMAIL_STRINGS: [&LoginEmailStrings; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The strings of a page language (a tag of the page catalogue).
pub fn login_email_strings_for(lang: &str) -> &'static LoginEmailStrings {
    LOGIN_EMAIL_STRINGS
        .iter()
        .find(|e| e.lang == lang)
        .copied()
        .unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::catalogue::CATALOGUES;

    #[test]
    fn every_page_language_has_the_email_sign_in_strings_with_their_placeholders() {
        for t in CATALOGUES {
            let e = login_email_strings_for(t.lang);
            assert_eq!(e.lang, t.lang);
            assert!(e.email_hint.contains("{n}"));
            assert!(e.malformed_code.contains("{n}"));
        }
    }
}
