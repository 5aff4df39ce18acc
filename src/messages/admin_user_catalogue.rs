//! The strings of the dashboard's actions on a user's page (signing out
//! everywhere, removing a factor, setting the phone, deleting the user),
//! per language. `{n}` is filled in by the page.

use super::catalogue::{self, Catalogue};

/// One language's strings for the actions on a user's page.
#[derive(Debug)]
pub struct AdminUserCatalogue {
    pub t: &'static Catalogue,
    pub sign_out_everywhere: &'static str,
    pub signed_out_notice: &'static str,
    pub remove_factor: &'static str,
    pub factor_removed: &'static str,
    pub factor_not_enrolled: &'static str,
    pub phone_heading: &'static str,
    pub phone_label: &'static str,
    pub verify_first: &'static str,
    pub set_phone: &'static str,
    pub phone_saved: &'static str,
    pub code_sent: &'static str,
    pub code_label: &'static str,
    pub verify: &'static str,
    pub phone_taken: &'static str,
    pub phone_invalid: &'static str,
    pub not_sent: &'static str,
    pub code_wrong: &'static str,
    pub nothing_pending: &'static str,
    pub delete_heading: &'static str,
    pub delete_confirm: &'static str,
    pub delete: &'static str,
    pub deleted_notice: &'static str,
    pub confirm_needed: &'static str,
    pub consents_heading: &'static str,
}

pub const EN: AdminUserCatalogue = AdminUserCatalogue {
    t: &catalogue::EN,
    sign_out_everywhere: "Sign out everywhere",
    signed_out_notice: "{n} session(s) ended.",
    remove_factor: "Remove",
    factor_removed: "The factor was removed and the user told.",
    factor_not_enrolled: "The user does not have this factor.",
    phone_heading: "Phone number",
    phone_label: "New phone number",
    verify_first: "Send the user a code to verify it first",
    set_phone: "Save number",
    phone_saved: "The phone number was saved and the user told.",
    code_sent: "A code went to the number. It is saved once the code the user received is entered here.",
    code_label: "Code the user received",
    verify: "Verify",
    phone_taken: "Another account holds this number.",
    phone_invalid: "This is not a valid phone number.",
    not_sent: "No code could be sent to this number.",
    code_wrong: "This code is wrong or expired.",
    nothing_pending: "No number waits for a code.",
    delete_heading: "Delete the user",
    delete_confirm: "I understand that the user, their sessions and their factors are deleted",
    delete: "Delete user",
    deleted_notice: "The user was deleted.",
    confirm_needed: "Tick the box to confirm.",
    consents_heading: "Applications allowed",
};

pub const FR: AdminUserCatalogue = AdminUserCatalogue {
    t: &catalogue::FR,
    sign_out_everywhere: "Déconnecter partout",
    signed_out_notice: "{n} session(s) fermée(s).",
    remove_factor: "Supprimer",
    factor_removed: "Le facteur a été supprimé et l'utilisateur prévenu.",
    factor_not_enrolled: "L'utilisateur n'a pas ce facteur.",
    phone_heading: "Numéro de téléphone",
    phone_label: "Nouveau numéro",
    verify_first: "Envoyer d'abord un code à l'utilisateur pour le vérifier",
    set_phone: "Enregistrer le numéro",
    phone_saved: "Le numéro a été enregistré et l'utilisateur prévenu.",
    code_sent: "Un code a été envoyé au numéro. Il est enregistré une fois le code reçu par l'utilisateur saisi ici.",
    code_label: "Code reçu par l'utilisateur",
    verify: "Vérifier",
    phone_taken: "Un autre compte a ce numéro.",
    phone_invalid: "Ce numéro de téléphone n'est pas valide.",
    not_sent: "Aucun code n'a pu être envoyé à ce numéro.",
    code_wrong: "Ce code est faux ou expiré.",
    nothing_pending: "Aucun numéro n'attend de code.",
    delete_heading: "Supprimer l'utilisateur",
    delete_confirm: "Je comprends que l'utilisateur, ses sessions et ses facteurs sont supprimés",
    delete: "Supprimer l'utilisateur",
    deleted_notice: "L'utilisateur a été supprimé.",
    confirm_needed: "Cochez la case pour confirmer.",
    consents_heading: "Applications autorisées",
};

pub const NL: AdminUserCatalogue = AdminUserCatalogue {
    t: &catalogue::NL,
    sign_out_everywhere: "Overal afmelden",
    signed_out_notice: "{n} sessie(s) beëindigd.",
    remove_factor: "Verwijderen",
    factor_removed: "De factor is verwijderd en de gebruiker is ingelicht.",
    factor_not_enrolled: "De gebruiker heeft deze factor niet.",
    phone_heading: "Telefoonnummer",
    phone_label: "Nieuw telefoonnummer",
    verify_first: "De gebruiker eerst een code sturen om het te verifiëren",
    set_phone: "Nummer opslaan",
    phone_saved: "Het nummer is opgeslagen en de gebruiker is ingelicht.",
    code_sent: "Er is een code naar het nummer gestuurd. Het wordt opgeslagen zodra de code die de gebruiker kreeg hier is ingevoerd.",
    code_label: "Code die de gebruiker kreeg",
    verify: "Verifiëren",
    phone_taken: "Een ander account heeft dit nummer.",
    phone_invalid: "Dit is geen geldig telefoonnummer.",
    not_sent: "Er kon geen code naar dit nummer worden gestuurd.",
    code_wrong: "Deze code is onjuist of verlopen.",
    nothing_pending: "Er wacht geen nummer op een code.",
    delete_heading: "De gebruiker verwijderen",
    delete_confirm: "Ik begrijp dat de gebruiker, de sessies en de factoren worden verwijderd",
    delete: "Gebruiker verwijderen",
    deleted_notice: "De gebruiker is verwijderd.",
    confirm_needed: "Vink het vakje aan om te bevestigen.",
    consents_heading: "Toegestane applicaties",
};

pub const ES: AdminUserCatalogue = AdminUserCatalogue {
    t: &catalogue::ES,
    sign_out_everywhere: "Cerrar sesión en todas partes",
    signed_out_notice: "{n} sesión(es) cerrada(s).",
    remove_factor: "Quitar",
    factor_removed: "Se quitó el factor y se avisó al usuario.",
    factor_not_enrolled: "El usuario no tiene este factor.",
    phone_heading: "Número de teléfono",
    phone_label: "Nuevo número de teléfono",
    verify_first: "Enviar antes un código al usuario para verificarlo",
    set_phone: "Guardar número",
    phone_saved: "Se guardó el número y se avisó al usuario.",
    code_sent: "Se envió un código al número. Se guarda cuando se introduce aquí el código que recibió el usuario.",
    code_label: "Código que recibió el usuario",
    verify: "Verificar",
    phone_taken: "Otra cuenta tiene este número.",
    phone_invalid: "Este número de teléfono no es válido.",
    not_sent: "No se pudo enviar ningún código a este número.",
    code_wrong: "Este código es incorrecto o caducó.",
    nothing_pending: "Ningún número espera un código.",
    delete_heading: "Eliminar el usuario",
    delete_confirm: "Entiendo que se eliminan el usuario, sus sesiones y sus factores",
    delete: "Eliminar usuario",
    deleted_notice: "Se eliminó el usuario.",
    confirm_needed: "Marca la casilla para confirmar.",
    consents_heading: "Aplicaciones permitidas",
};

pub const DE: AdminUserCatalogue = AdminUserCatalogue {
    t: &catalogue::DE,
    sign_out_everywhere: "Überall abmelden",
    signed_out_notice: "{n} Sitzung(en) beendet.",
    remove_factor: "Entfernen",
    factor_removed: "Der Faktor wurde entfernt und der Nutzer benachrichtigt.",
    factor_not_enrolled: "Der Nutzer hat diesen Faktor nicht.",
    phone_heading: "Telefonnummer",
    phone_label: "Neue Telefonnummer",
    verify_first: "Dem Nutzer zuerst einen Code zur Bestätigung senden",
    set_phone: "Nummer speichern",
    phone_saved: "Die Nummer wurde gespeichert und der Nutzer benachrichtigt.",
    code_sent: "Ein Code ging an die Nummer. Sie wird gespeichert, sobald der Code, den der Nutzer erhielt, hier eingegeben ist.",
    code_label: "Code, den der Nutzer erhielt",
    verify: "Bestätigen",
    phone_taken: "Ein anderes Konto hat diese Nummer.",
    phone_invalid: "Das ist keine gültige Telefonnummer.",
    not_sent: "An diese Nummer konnte kein Code gesendet werden.",
    code_wrong: "Dieser Code ist falsch oder abgelaufen.",
    nothing_pending: "Keine Nummer wartet auf einen Code.",
    delete_heading: "Nutzer löschen",
    delete_confirm: "Ich verstehe, dass der Nutzer, seine Sitzungen und Faktoren gelöscht werden",
    delete: "Nutzer löschen",
    deleted_notice: "Der Nutzer wurde gelöscht.",
    confirm_needed: "Setze das Häkchen zur Bestätigung.",
    consents_heading: "Erlaubte Anwendungen",
};

const CATALOGUES: [&AdminUserCatalogue; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The strings of the user page's actions in the language of `t`.
pub fn admin_user_catalogue_for(t: &Catalogue) -> &'static AdminUserCatalogue {
    CATALOGUES
        .iter()
        .find(|c| c.t.lang == t.lang)
        .copied()
        .unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_the_user_actions_with_the_count() {
        for t in catalogue::CATALOGUES {
            let u = admin_user_catalogue_for(t);
            assert_eq!(u.t.lang, t.lang);
            assert!(u.signed_out_notice.contains("{n}"), "{}", t.lang);
        }
    }
}
