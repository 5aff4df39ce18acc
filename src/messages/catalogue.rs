//! The hosted pages' own strings, per language. `{n}` and `{kind}` are
//! filled in by the page.

use super::language::{LanguagePreference, negotiate};

/// One language's strings.
#[derive(Debug)]
pub struct Catalogue {
    /// The BCP 47 tag, for `<html lang>`.
    pub lang: &'static str,
    /// The language's own name, for the switch.
    pub name: &'static str,
    pub sign_in: &'static str,
    pub continue_to: &'static str,
    pub phone_label: &'static str,
    pub phone_hint: &'static str,
    pub send_code: &'static str,
    pub enter_code: &'static str,
    pub sent_to: &'static str,
    pub code_label: &'static str,
    pub continue_button: &'static str,
    pub resend: &'static str,
    pub resend_in: &'static str,
    pub different_number: &'static str,
    pub new_code_sent: &'static str,
    pub wrong_code_one: &'static str,
    pub wrong_code_many: &'static str,
    pub too_many_attempts: &'static str,
    pub code_expired: &'static str,
    pub no_account: &'static str,
    pub not_delivered: &'static str,
    pub needs_country_code: &'static str,
    pub invalid_phone: &'static str,
    pub malformed_code: &'static str,
    pub country_refused: &'static str,
    pub line_refused: &'static str,
    pub phone_limit: &'static str,
    pub network_limit: &'static str,
    pub ceiling: &'static str,
    pub cooldown: &'static str,
    pub language: &'static str,
}

pub const EN: Catalogue = Catalogue {
    lang: "en",
    name: "English",
    sign_in: "Sign in",
    continue_to: "to continue to",
    phone_label: "Phone number",
    phone_hint: "We'll send a {n}-digit code by SMS. Include your country code, such as +44 or +1.",
    send_code: "Send code",
    enter_code: "Enter the code",
    sent_to: "We sent a code to",
    code_label: "{n}-digit code",
    continue_button: "Continue",
    resend: "Send a new code",
    resend_in: "You can request a new code in {n} seconds.",
    different_number: "Use a different number",
    new_code_sent: "We sent you a new code.",
    wrong_code_one: "That code is not correct. You have 1 attempt left.",
    wrong_code_many: "That code is not correct. You have {n} attempts left.",
    too_many_attempts: "Too many wrong codes. Request a new code to try again.",
    code_expired: "This code has expired. Request a new code.",
    no_account: "There is no account for this number. Use another number.",
    not_delivered: "We couldn't send a code to this number. Try again in a minute, or use another number.",
    needs_country_code: "Enter a phone number in international format, starting with + and the country code.",
    invalid_phone: "This is not a valid phone number.",
    malformed_code: "Enter the {n}-digit code from the message.",
    country_refused: "We can't send codes to phone numbers in this country. Use a number from a supported country.",
    line_refused: "We can't send codes to {kind} numbers. Use a mobile number.",
    phone_limit: "Too many codes were sent to this number. Try again later.",
    network_limit: "Too many codes were requested from this network. Try again later.",
    ceiling: "Codes cannot be sent right now. Try again in a few minutes.",
    cooldown: "A new code can be requested in {n} seconds.",
    language: "Language",
};

pub const FR: Catalogue = Catalogue {
    lang: "fr",
    name: "Français",
    sign_in: "Connexion",
    continue_to: "pour continuer vers",
    phone_label: "Numéro de téléphone",
    phone_hint: "Nous vous enverrons un code à {n} chiffres par SMS. Indiquez l'indicatif du pays, par exemple +33 ou +32.",
    send_code: "Envoyer le code",
    enter_code: "Saisissez le code",
    sent_to: "Nous avons envoyé un code au",
    code_label: "Code à {n} chiffres",
    continue_button: "Continuer",
    resend: "Envoyer un nouveau code",
    resend_in: "Vous pourrez demander un nouveau code dans {n} secondes.",
    different_number: "Utiliser un autre numéro",
    new_code_sent: "Nous vous avons envoyé un nouveau code.",
    wrong_code_one: "Ce code est incorrect. Il vous reste 1 essai.",
    wrong_code_many: "Ce code est incorrect. Il vous reste {n} essais.",
    too_many_attempts: "Trop de codes erronés. Demandez un nouveau code pour réessayer.",
    code_expired: "Ce code a expiré. Demandez un nouveau code.",
    no_account: "Aucun compte n'est associé à ce numéro. Utilisez un autre numéro.",
    not_delivered: "Nous n'avons pas pu envoyer de code à ce numéro. Réessayez dans une minute ou utilisez un autre numéro.",
    needs_country_code: "Saisissez le numéro au format international, en commençant par + et l'indicatif du pays.",
    invalid_phone: "Ce numéro de téléphone n'est pas valide.",
    malformed_code: "Saisissez le code à {n} chiffres reçu par SMS.",
    country_refused: "Nous ne pouvons pas envoyer de code vers ce pays. Utilisez un numéro d'un pays pris en charge.",
    line_refused: "Nous ne pouvons pas envoyer de code à ce type de numéro ({kind}). Utilisez un numéro de mobile.",
    phone_limit: "Trop de codes ont été envoyés à ce numéro. Réessayez plus tard.",
    network_limit: "Trop de codes ont été demandés depuis ce réseau. Réessayez plus tard.",
    ceiling: "Les codes ne peuvent pas être envoyés pour le moment. Réessayez dans quelques minutes.",
    cooldown: "Vous pourrez demander un nouveau code dans {n} secondes.",
    language: "Langue",
};

pub const NL: Catalogue = Catalogue {
    lang: "nl",
    name: "Nederlands",
    sign_in: "Inloggen",
    continue_to: "om verder te gaan naar",
    phone_label: "Telefoonnummer",
    phone_hint: "We sturen een code van {n} cijfers per sms. Vermeld de landcode, zoals +31 of +32.",
    send_code: "Code versturen",
    enter_code: "Voer de code in",
    sent_to: "We hebben een code gestuurd naar",
    code_label: "Code van {n} cijfers",
    continue_button: "Doorgaan",
    resend: "Nieuwe code versturen",
    resend_in: "Over {n} seconden kunt u een nieuwe code aanvragen.",
    different_number: "Een ander nummer gebruiken",
    new_code_sent: "We hebben u een nieuwe code gestuurd.",
    wrong_code_one: "Deze code klopt niet. U hebt nog 1 poging.",
    wrong_code_many: "Deze code klopt niet. U hebt nog {n} pogingen.",
    too_many_attempts: "Te veel onjuiste codes. Vraag een nieuwe code aan om het opnieuw te proberen.",
    code_expired: "Deze code is verlopen. Vraag een nieuwe code aan.",
    no_account: "Er is geen account voor dit nummer. Gebruik een ander nummer.",
    not_delivered: "We konden geen code naar dit nummer sturen. Probeer het over een minuut opnieuw of gebruik een ander nummer.",
    needs_country_code: "Voer het nummer in internationale notatie in, beginnend met + en de landcode.",
    invalid_phone: "Dit is geen geldig telefoonnummer.",
    malformed_code: "Voer de code van {n} cijfers uit het bericht in.",
    country_refused: "We kunnen geen codes versturen naar nummers in dit land. Gebruik een nummer uit een ondersteund land.",
    line_refused: "We kunnen geen codes versturen naar dit soort nummers ({kind}). Gebruik een mobiel nummer.",
    phone_limit: "Er zijn te veel codes naar dit nummer gestuurd. Probeer het later opnieuw.",
    network_limit: "Er zijn te veel codes aangevraagd vanaf dit netwerk. Probeer het later opnieuw.",
    ceiling: "Er kunnen nu geen codes worden verstuurd. Probeer het over een paar minuten opnieuw.",
    cooldown: "Over {n} seconden kunt u een nieuwe code aanvragen.",
    language: "Taal",
};

pub const ES: Catalogue = Catalogue {
    lang: "es",
    name: "Español",
    sign_in: "Iniciar sesión",
    continue_to: "para continuar a",
    phone_label: "Número de teléfono",
    phone_hint: "Te enviaremos un código de {n} dígitos por SMS. Incluye el prefijo del país, como +34 o +52.",
    send_code: "Enviar código",
    enter_code: "Introduce el código",
    sent_to: "Hemos enviado un código al",
    code_label: "Código de {n} dígitos",
    continue_button: "Continuar",
    resend: "Enviar un código nuevo",
    resend_in: "Podrás pedir un código nuevo dentro de {n} segundos.",
    different_number: "Usar otro número",
    new_code_sent: "Te hemos enviado un código nuevo.",
    wrong_code_one: "El código no es correcto. Te queda 1 intento.",
    wrong_code_many: "El código no es correcto. Te quedan {n} intentos.",
    too_many_attempts: "Demasiados códigos incorrectos. Pide un código nuevo para volver a intentarlo.",
    code_expired: "El código ha caducado. Pide un código nuevo.",
    no_account: "No hay ninguna cuenta con este número. Usa otro número.",
    not_delivered: "No hemos podido enviar un código a este número. Inténtalo de nuevo dentro de un minuto o usa otro número.",
    needs_country_code: "Introduce el número en formato internacional, empezando por + y el prefijo del país.",
    invalid_phone: "Este número de teléfono no es válido.",
    malformed_code: "Introduce el código de {n} dígitos del mensaje.",
    country_refused: "No podemos enviar códigos a números de este país. Usa un número de un país admitido.",
    line_refused: "No podemos enviar códigos a este tipo de número ({kind}). Usa un número móvil.",
    phone_limit: "Se han enviado demasiados códigos a este número. Inténtalo más tarde.",
    network_limit: "Se han pedido demasiados códigos desde esta red. Inténtalo más tarde.",
    ceiling: "Ahora no se pueden enviar códigos. Inténtalo dentro de unos minutos.",
    cooldown: "Podrás pedir un código nuevo dentro de {n} segundos.",
    language: "Idioma",
};

pub const DE: Catalogue = Catalogue {
    lang: "de",
    name: "Deutsch",
    sign_in: "Anmelden",
    continue_to: "um fortzufahren zu",
    phone_label: "Telefonnummer",
    phone_hint: "Wir senden Ihnen einen {n}-stelligen Code per SMS. Geben Sie die Landesvorwahl an, etwa +49 oder +41.",
    send_code: "Code senden",
    enter_code: "Code eingeben",
    sent_to: "Wir haben einen Code gesendet an",
    code_label: "{n}-stelliger Code",
    continue_button: "Weiter",
    resend: "Neuen Code senden",
    resend_in: "In {n} Sekunden können Sie einen neuen Code anfordern.",
    different_number: "Andere Nummer verwenden",
    new_code_sent: "Wir haben Ihnen einen neuen Code gesendet.",
    wrong_code_one: "Dieser Code ist falsch. Sie haben noch 1 Versuch.",
    wrong_code_many: "Dieser Code ist falsch. Sie haben noch {n} Versuche.",
    too_many_attempts: "Zu viele falsche Codes. Fordern Sie einen neuen Code an, um es erneut zu versuchen.",
    code_expired: "Dieser Code ist abgelaufen. Fordern Sie einen neuen Code an.",
    no_account: "Zu dieser Nummer gibt es kein Konto. Verwenden Sie eine andere Nummer.",
    not_delivered: "Wir konnten keinen Code an diese Nummer senden. Versuchen Sie es in einer Minute erneut oder verwenden Sie eine andere Nummer.",
    needs_country_code: "Geben Sie die Nummer im internationalen Format ein, beginnend mit + und der Landesvorwahl.",
    invalid_phone: "Dies ist keine gültige Telefonnummer.",
    malformed_code: "Geben Sie den {n}-stelligen Code aus der Nachricht ein.",
    country_refused: "An Nummern in diesem Land können wir keine Codes senden. Verwenden Sie eine Nummer aus einem unterstützten Land.",
    line_refused: "An diese Art von Nummer ({kind}) können wir keine Codes senden. Verwenden Sie eine Mobilnummer.",
    phone_limit: "An diese Nummer wurden zu viele Codes gesendet. Versuchen Sie es später erneut.",
    network_limit: "Aus diesem Netzwerk wurden zu viele Codes angefordert. Versuchen Sie es später erneut.",
    ceiling: "Derzeit können keine Codes gesendet werden. Versuchen Sie es in einigen Minuten erneut.",
    cooldown: "In {n} Sekunden können Sie einen neuen Code anfordern.",
    language: "Sprache",
};

/// Every catalogue, English first.
pub const CATALOGUES: [&Catalogue; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The best catalogue for the preference (English when none fits).
pub fn catalogue_for(preference: &LanguagePreference) -> &'static Catalogue {
    negotiate(preference, CATALOGUES.iter().map(|c| c.lang))
        .and_then(|lang| CATALOGUES.iter().find(|c| c.lang == lang).copied())
        .unwrap_or(&EN)
}

/// Fills `{n}` in a string.
pub fn with_number(text: &str, n: impl std::fmt::Display) -> String {
    text.replace("{n}", &n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_are_chosen_by_preference_with_english_last() {
        let pick = |ui: &str, accept: &str| {
            catalogue_for(&LanguagePreference::from_sources(
                None,
                Some(ui),
                Some(accept),
            ))
            .lang
        };
        assert_eq!(pick("fr-CA", "de"), "fr");
        assert_eq!(pick("se", "nl-BE, de;q=0.5"), "nl");
        assert_eq!(pick("", "pt-BR"), "en");
    }

    #[test]
    fn every_catalogue_keeps_the_placeholders() {
        for c in CATALOGUES {
            for text in [
                c.phone_hint,
                c.code_label,
                c.resend_in,
                c.wrong_code_many,
                c.malformed_code,
                c.cooldown,
            ] {
                assert!(text.contains("{n}"), "{}: {text}", c.lang);
            }
            assert!(c.line_refused.contains("{kind}"), "{}", c.lang);
        }
    }
}
