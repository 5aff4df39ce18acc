//! The account pages' strings about the email address, per language.
//! `{new}` and `{previous}` are filled in by the page.

/// One language's strings for the email part of the account pages.
#[derive(Debug)]
pub struct AccountEmailStrings {
    pub lang: &'static str,
    pub new_email_label: &'static str,
    pub add_email: &'static str,
    pub change_email: &'static str,
    pub remove_email: &'static str,
    pub verify_title: &'static str,
    pub email_saved: &'static str,
    pub email_removed: &'static str,
    pub email_taken: &'static str,
    pub same_email: &'static str,
    pub no_email_to_remove: &'static str,
    pub last_way_in: &'static str,
    pub invalid_email: &'static str,
    pub email_too_long: &'static str,
    pub address_limit: &'static str,
    pub revert_added: &'static str,
    pub revert_changed: &'static str,
    pub revert_removed: &'static str,
    pub ev_added: &'static str,
    pub ev_changed: &'static str,
    pub ev_removed: &'static str,
    pub ev_taken: &'static str,
    pub ev_notice: &'static str,
    pub ev_code_mailed: &'static str,
    pub ev_mail_delivered: &'static str,
    pub ev_mail_failed: &'static str,
}

pub const EN: AccountEmailStrings = AccountEmailStrings {
    lang: "en",
    new_email_label: "New email address",
    add_email: "Add address",
    change_email: "Change address",
    remove_email: "Remove address",
    verify_title: "Confirm your email address",
    email_saved: "Your email address was saved.",
    email_removed: "Your email address was removed.",
    email_taken: "This address is used by another account. Use another address.",
    same_email: "This is already your email address.",
    no_email_to_remove: "There is no email address to remove.",
    last_way_in: "You can't remove your email address: it is the only way to sign in to your account. Add a phone number first.",
    invalid_email: "Enter an email address like name@example.com.",
    email_too_long: "An email address has at most 254 characters.",
    address_limit: "Too many codes were sent to this address. Try again later.",
    revert_added: "An email address was added to your account: {new}.",
    revert_changed: "The email address of your account was changed from {previous} to {new}.",
    revert_removed: "The email address {previous} was removed from your account.",
    ev_added: "Email address added",
    ev_changed: "Email address changed",
    ev_removed: "Email address removed",
    ev_taken: "An address of another account was refused",
    ev_notice: "Security notice sent by email",
    ev_code_mailed: "A code was sent by email",
    ev_mail_delivered: "Email delivered",
    ev_mail_failed: "An email could not be delivered",
};

pub const FR: AccountEmailStrings = AccountEmailStrings {
    lang: "fr",
    new_email_label: "Nouvelle adresse e-mail",
    add_email: "Ajouter l'adresse",
    change_email: "Changer d'adresse",
    remove_email: "Retirer l'adresse",
    verify_title: "Confirmez votre adresse e-mail",
    email_saved: "Votre adresse e-mail a été enregistrée.",
    email_removed: "Votre adresse e-mail a été retirée.",
    email_taken: "Cette adresse est utilisée par un autre compte. Utilisez une autre adresse.",
    same_email: "C'est déjà votre adresse e-mail.",
    no_email_to_remove: "Il n'y a pas d'adresse e-mail à retirer.",
    last_way_in: "Vous ne pouvez pas retirer votre adresse e-mail : c'est le seul moyen de vous connecter à votre compte. Ajoutez d'abord un numéro de téléphone.",
    invalid_email: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    email_too_long: "Une adresse e-mail compte au plus 254 caractères.",
    address_limit: "Trop de codes ont été envoyés à cette adresse. Réessayez plus tard.",
    revert_added: "Une adresse e-mail a été ajoutée à votre compte : {new}.",
    revert_changed: "L'adresse e-mail de votre compte a été changée de {previous} en {new}.",
    revert_removed: "L'adresse e-mail {previous} a été retirée de votre compte.",
    ev_added: "Adresse e-mail ajoutée",
    ev_changed: "Adresse e-mail modifiée",
    ev_removed: "Adresse e-mail retirée",
    ev_taken: "Une adresse d'un autre compte a été refusée",
    ev_notice: "Avis de sécurité envoyé par e-mail",
    ev_code_mailed: "Un code a été envoyé par e-mail",
    ev_mail_delivered: "E-mail remis",
    ev_mail_failed: "Un e-mail n'a pas pu être remis",
};

pub const NL: AccountEmailStrings = AccountEmailStrings {
    lang: "nl",
    new_email_label: "Nieuw e-mailadres",
    add_email: "Adres toevoegen",
    change_email: "Adres wijzigen",
    remove_email: "Adres verwijderen",
    verify_title: "Bevestig uw e-mailadres",
    email_saved: "Uw e-mailadres is opgeslagen.",
    email_removed: "Uw e-mailadres is verwijderd.",
    email_taken: "Dit adres wordt door een ander account gebruikt. Gebruik een ander adres.",
    same_email: "Dit is al uw e-mailadres.",
    no_email_to_remove: "Er is geen e-mailadres om te verwijderen.",
    last_way_in: "U kunt uw e-mailadres niet verwijderen: het is de enige manier om in te loggen. Voeg eerst een telefoonnummer toe.",
    invalid_email: "Voer een e-mailadres in zoals naam@voorbeeld.nl.",
    email_too_long: "Een e-mailadres heeft hoogstens 254 tekens.",
    address_limit: "Er zijn te veel codes naar dit adres gestuurd. Probeer het later opnieuw.",
    revert_added: "Er is een e-mailadres aan uw account toegevoegd: {new}.",
    revert_changed: "Het e-mailadres van uw account is gewijzigd van {previous} in {new}.",
    revert_removed: "Het e-mailadres {previous} is van uw account verwijderd.",
    ev_added: "E-mailadres toegevoegd",
    ev_changed: "E-mailadres gewijzigd",
    ev_removed: "E-mailadres verwijderd",
    ev_taken: "Een adres van een ander account is geweigerd",
    ev_notice: "Beveiligingsmelding per e-mail verzonden",
    ev_code_mailed: "Er is een code per e-mail verzonden",
    ev_mail_delivered: "E-mail afgeleverd",
    ev_mail_failed: "Een e-mail kon niet worden afgeleverd",
};

pub const ES: AccountEmailStrings = AccountEmailStrings {
    lang: "es",
    new_email_label: "Nueva dirección de correo",
    add_email: "Añadir dirección",
    change_email: "Cambiar dirección",
    remove_email: "Quitar dirección",
    verify_title: "Confirme su dirección de correo",
    email_saved: "Se guardó su dirección de correo.",
    email_removed: "Se quitó su dirección de correo.",
    email_taken: "Esta dirección la usa otra cuenta. Use otra dirección.",
    same_email: "Esta ya es su dirección de correo.",
    no_email_to_remove: "No hay ninguna dirección de correo que quitar.",
    last_way_in: "No puede quitar su dirección de correo: es la única forma de iniciar sesión en su cuenta. Añada antes un número de teléfono.",
    invalid_email: "Escriba una dirección de correo como nombre@ejemplo.es.",
    email_too_long: "Una dirección de correo tiene como máximo 254 caracteres.",
    address_limit: "Se enviaron demasiados códigos a esta dirección. Inténtelo más tarde.",
    revert_added: "Se añadió una dirección de correo a su cuenta: {new}.",
    revert_changed: "La dirección de correo de su cuenta se cambió de {previous} a {new}.",
    revert_removed: "Se quitó la dirección de correo {previous} de su cuenta.",
    ev_added: "Dirección de correo añadida",
    ev_changed: "Dirección de correo cambiada",
    ev_removed: "Dirección de correo quitada",
    ev_taken: "Se rechazó una dirección de otra cuenta",
    ev_notice: "Aviso de seguridad enviado por correo",
    ev_code_mailed: "Se envió un código por correo",
    ev_mail_delivered: "Correo entregado",
    ev_mail_failed: "No se pudo entregar un correo",
};

pub const DE: AccountEmailStrings = AccountEmailStrings {
    lang: "de",
    new_email_label: "Neue E-Mail-Adresse",
    add_email: "Adresse hinzufügen",
    change_email: "Adresse ändern",
    remove_email: "Adresse entfernen",
    verify_title: "Bestätigen Sie Ihre E-Mail-Adresse",
    email_saved: "Ihre E-Mail-Adresse wurde gespeichert.",
    email_removed: "Ihre E-Mail-Adresse wurde entfernt.",
    email_taken: "Diese Adresse gehört zu einem anderen Konto. Verwenden Sie eine andere Adresse.",
    same_email: "Das ist bereits Ihre E-Mail-Adresse.",
    no_email_to_remove: "Es gibt keine E-Mail-Adresse zum Entfernen.",
    last_way_in: "Sie können Ihre E-Mail-Adresse nicht entfernen: Sie ist die einzige Möglichkeit, sich anzumelden. Fügen Sie zuerst eine Telefonnummer hinzu.",
    invalid_email: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
    email_too_long: "Eine E-Mail-Adresse hat höchstens 254 Zeichen.",
    address_limit: "Es wurden zu viele Codes an diese Adresse gesendet. Versuchen Sie es später erneut.",
    revert_added: "Ihrem Konto wurde eine E-Mail-Adresse hinzugefügt: {new}.",
    revert_changed: "Die E-Mail-Adresse Ihres Kontos wurde von {previous} in {new} geändert.",
    revert_removed: "Die E-Mail-Adresse {previous} wurde aus Ihrem Konto entfernt.",
    ev_added: "E-Mail-Adresse hinzugefügt",
    ev_changed: "E-Mail-Adresse geändert",
    ev_removed: "E-Mail-Adresse entfernt",
    ev_taken: "Eine Adresse eines anderen Kontos wurde abgelehnt",
    ev_notice: "Sicherheitshinweis per E-Mail gesendet",
    ev_code_mailed: "Ein Code wurde per E-Mail gesendet",
    ev_mail_delivered: "E-Mail zugestellt",
    ev_mail_failed: "Eine E-Mail konnte nicht zugestellt werden",
};

/// Every language of the account pages.
pub const ACCOUNT_EMAIL_STRINGS: [&AccountEmailStrings; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The strings of a page language (a tag of the page catalogue).
pub fn email_strings_for(lang: &str) -> &'static AccountEmailStrings {
    ACCOUNT_EMAIL_STRINGS
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
    fn every_page_language_has_the_email_strings_with_their_placeholders() {
        for t in CATALOGUES {
            let e = email_strings_for(t.lang);
            assert_eq!(e.lang, t.lang);
            assert!(e.revert_changed.contains("{previous}") && e.revert_changed.contains("{new}"));
            assert!(e.revert_added.contains("{new}"));
            assert!(e.revert_removed.contains("{previous}"));
        }
    }
}
