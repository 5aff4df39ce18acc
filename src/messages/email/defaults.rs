//! The built-in email templates, in the five languages of the page
//! catalogue. Each is written like a stored one: a `Subject:` line, a blank
//! line, then the body, all Liquid.

use crate::domain::EmailUsage;

/// Languages with built-in email templates; English is the fallback.
pub const BUILTIN_LANGUAGES: [&str; 5] = ["en", "fr", "nl", "es", "de"];

/// One language's phrases, assembled into the templates below.
struct Phrases {
    verify_subject: &'static str,
    verify_intro: &'static str,
    reauth_subject: &'static str,
    reauth_intro: &'static str,
    sign_in_subject: &'static str,
    sign_in_intro: &'static str,
    sign_up_subject: &'static str,
    sign_up_intro: &'static str,
    expires: &'static str,
    not_asked: &'static str,
    added_subject: &'static str,
    added_intro: &'static str,
    changed_subject: &'static str,
    changed_intro: &'static str,
    removed_subject: &'static str,
    removed_intro: &'static str,
    before: &'static str,
    after: &'static str,
    when: &'static str,
    device: &'static str,
    network: &'static str,
    was_you: &'static str,
    not_you: &'static str,
    account: &'static str,
}

const EN: Phrases = Phrases {
    verify_subject: "Your code to confirm this email address: {{ code }}",
    verify_intro: "Enter this code to confirm your email address:",
    reauth_subject: "Your security code: {{ code }}",
    reauth_intro: "Someone, we hope you, is changing how you sign in. Enter this code to confirm it is you:",
    sign_in_subject: "Your sign-in code: {{ code }}",
    sign_in_intro: "Enter this code to sign in:",
    sign_up_subject: "Your code to create your account: {{ code }}",
    sign_up_intro: "Enter this code to confirm your email address and create your account:",
    expires: "The code expires in {{ expires_in_minutes }} minutes.",
    not_asked: "If you did not ask for it, ignore this email and do not share the code: nothing changes without it.",
    added_subject: "New sign-in method on your account: {{ factor_name }}",
    added_intro: "A sign-in method was added to your account.",
    changed_subject: "Sign-in method changed: {{ factor_name }}",
    changed_intro: "A sign-in method of your account was changed.",
    removed_subject: "Sign-in method removed: {{ factor_name }}",
    removed_intro: "A sign-in method was removed from your account.",
    before: "Before",
    after: "Now",
    when: "When",
    device: "Device",
    network: "Network",
    was_you: "If this was you, there is nothing to do.",
    not_you: "If this wasn't you, undo the change and sign out everywhere:",
    account: "Your account:",
};

const FR: Phrases = Phrases {
    verify_subject: "Votre code pour confirmer cette adresse e-mail : {{ code }}",
    verify_intro: "Saisissez ce code pour confirmer votre adresse e-mail :",
    reauth_subject: "Votre code de sécurité : {{ code }}",
    reauth_intro: "Quelqu'un, vous sans doute, modifie vos moyens de connexion. Saisissez ce code pour confirmer que c'est bien vous :",
    sign_in_subject: "Votre code de connexion : {{ code }}",
    sign_in_intro: "Saisissez ce code pour vous connecter :",
    sign_up_subject: "Votre code pour créer votre compte : {{ code }}",
    sign_up_intro: "Saisissez ce code pour confirmer votre adresse e-mail et créer votre compte :",
    expires: "Le code expire dans {{ expires_in_minutes }} minutes.",
    not_asked: "Si vous ne l'avez pas demandé, ignorez cet e-mail et ne communiquez pas le code : rien ne change sans lui.",
    added_subject: "Nouveau moyen de connexion sur votre compte : {{ factor_name }}",
    added_intro: "Un moyen de connexion a été ajouté à votre compte.",
    changed_subject: "Moyen de connexion modifié : {{ factor_name }}",
    changed_intro: "Un moyen de connexion de votre compte a été modifié.",
    removed_subject: "Moyen de connexion supprimé : {{ factor_name }}",
    removed_intro: "Un moyen de connexion a été supprimé de votre compte.",
    before: "Avant",
    after: "Maintenant",
    when: "Quand",
    device: "Appareil",
    network: "Réseau",
    was_you: "Si c'était vous, vous n'avez rien à faire.",
    not_you: "Si ce n'était pas vous, annulez la modification et déconnectez toutes les sessions :",
    account: "Votre compte :",
};

const NL: Phrases = Phrases {
    verify_subject: "Je code om dit e-mailadres te bevestigen: {{ code }}",
    verify_intro: "Voer deze code in om je e-mailadres te bevestigen:",
    reauth_subject: "Je beveiligingscode: {{ code }}",
    reauth_intro: "Iemand, hopelijk jij, wijzigt hoe je inlogt. Voer deze code in om te bevestigen dat jij het bent:",
    sign_in_subject: "Je inlogcode: {{ code }}",
    sign_in_intro: "Voer deze code in om in te loggen:",
    sign_up_subject: "Je code om je account aan te maken: {{ code }}",
    sign_up_intro: "Voer deze code in om je e-mailadres te bevestigen en je account aan te maken:",
    expires: "De code verloopt over {{ expires_in_minutes }} minuten.",
    not_asked: "Heb je hier niet om gevraagd? Negeer deze e-mail en deel de code niet: zonder de code verandert er niets.",
    added_subject: "Nieuwe inlogmethode op je account: {{ factor_name }}",
    added_intro: "Er is een inlogmethode aan je account toegevoegd.",
    changed_subject: "Inlogmethode gewijzigd: {{ factor_name }}",
    changed_intro: "Een inlogmethode van je account is gewijzigd.",
    removed_subject: "Inlogmethode verwijderd: {{ factor_name }}",
    removed_intro: "Er is een inlogmethode van je account verwijderd.",
    before: "Eerst",
    after: "Nu",
    when: "Wanneer",
    device: "Apparaat",
    network: "Netwerk",
    was_you: "Was jij dit? Dan hoef je niets te doen.",
    not_you: "Was jij dit niet? Draai de wijziging terug en log overal uit:",
    account: "Je account:",
};

const ES: Phrases = Phrases {
    verify_subject: "Tu código para confirmar esta dirección de correo: {{ code }}",
    verify_intro: "Introduce este código para confirmar tu dirección de correo:",
    reauth_subject: "Tu código de seguridad: {{ code }}",
    reauth_intro: "Alguien, seguramente tú, está cambiando cómo inicias sesión. Introduce este código para confirmar que eres tú:",
    sign_in_subject: "Tu código de acceso: {{ code }}",
    sign_in_intro: "Introduce este código para iniciar sesión:",
    sign_up_subject: "Tu código para crear tu cuenta: {{ code }}",
    sign_up_intro: "Introduce este código para confirmar tu dirección de correo y crear tu cuenta:",
    expires: "El código caduca en {{ expires_in_minutes }} minutos.",
    not_asked: "Si no lo has pedido, ignora este correo y no compartas el código: sin él no cambia nada.",
    added_subject: "Nuevo método de acceso en tu cuenta: {{ factor_name }}",
    added_intro: "Se ha añadido un método de acceso a tu cuenta.",
    changed_subject: "Método de acceso cambiado: {{ factor_name }}",
    changed_intro: "Se ha cambiado un método de acceso de tu cuenta.",
    removed_subject: "Método de acceso eliminado: {{ factor_name }}",
    removed_intro: "Se ha eliminado un método de acceso de tu cuenta.",
    before: "Antes",
    after: "Ahora",
    when: "Cuándo",
    device: "Dispositivo",
    network: "Red",
    was_you: "Si has sido tú, no tienes que hacer nada.",
    not_you: "Si no has sido tú, deshaz el cambio y cierra todas las sesiones:",
    account: "Tu cuenta:",
};

const DE: Phrases = Phrases {
    verify_subject: "Dein Code zur Bestätigung dieser E-Mail-Adresse: {{ code }}",
    verify_intro: "Gib diesen Code ein, um deine E-Mail-Adresse zu bestätigen:",
    reauth_subject: "Dein Sicherheitscode: {{ code }}",
    reauth_intro: "Jemand, hoffentlich du, ändert deine Anmeldemethoden. Gib diesen Code ein, um zu bestätigen, dass du es bist:",
    sign_in_subject: "Dein Anmeldecode: {{ code }}",
    sign_in_intro: "Gib diesen Code ein, um dich anzumelden:",
    sign_up_subject: "Dein Code zum Erstellen deines Kontos: {{ code }}",
    sign_up_intro: "Gib diesen Code ein, um deine E-Mail-Adresse zu bestätigen und dein Konto zu erstellen:",
    expires: "Der Code läuft in {{ expires_in_minutes }} Minuten ab.",
    not_asked: "Wenn du ihn nicht angefordert hast, ignoriere diese E-Mail und gib den Code nicht weiter: ohne ihn ändert sich nichts.",
    added_subject: "Neue Anmeldemethode in deinem Konto: {{ factor_name }}",
    added_intro: "Deinem Konto wurde eine Anmeldemethode hinzugefügt.",
    changed_subject: "Anmeldemethode geändert: {{ factor_name }}",
    changed_intro: "Eine Anmeldemethode deines Kontos wurde geändert.",
    removed_subject: "Anmeldemethode entfernt: {{ factor_name }}",
    removed_intro: "Eine Anmeldemethode wurde aus deinem Konto entfernt.",
    before: "Vorher",
    after: "Jetzt",
    when: "Wann",
    device: "Gerät",
    network: "Netzwerk",
    was_you: "Wenn du das warst, musst du nichts tun.",
    not_you: "Wenn du das nicht warst, mache die Änderung rückgängig und melde dich überall ab:",
    account: "Dein Konto:",
};

fn phrases(language: &str) -> Option<&'static Phrases> {
    match language {
        "en" => Some(&EN),
        "fr" => Some(&FR),
        "nl" => Some(&NL),
        "es" => Some(&ES),
        "de" => Some(&DE),
        _ => None,
    }
}

/// The name of a factor in a language, as the templates' `factor_name`.
pub fn factor_name(language: &str, factor: &str) -> &'static str {
    let primary = language.split('-').next().unwrap_or(language);
    match (primary, factor) {
        ("fr", "authenticator_app") => "application d'authentification",
        ("fr", "recovery_codes") => "codes de récupération",
        ("nl", "authenticator_app") => "authenticator-app",
        ("nl", "recovery_codes") => "herstelcodes",
        ("es", "authenticator_app") => "aplicación de autenticación",
        ("es", "recovery_codes") => "códigos de recuperación",
        ("de", "authenticator_app") => "Authenticator-App",
        ("de", "recovery_codes") => "Wiederherstellungscodes",
        (_, "authenticator_app") => "authenticator app",
        (_, "recovery_codes") => "recovery codes",
        ("fr", "phone") => "numéro de téléphone",
        ("fr", _) => "adresse e-mail",
        ("nl", "phone") => "telefoonnummer",
        ("nl", _) => "e-mailadres",
        ("es", "phone") => "número de teléfono",
        ("es", _) => "dirección de correo",
        ("de", "phone") => "Telefonnummer",
        ("de", _) => "E-Mail-Adresse",
        (_, "phone") => "phone number",
        _ => "email address",
    }
}

/// The built-in template of a usage in one of `BUILTIN_LANGUAGES`.
pub fn builtin(usage: EmailUsage, language: &str) -> Option<String> {
    let p = phrases(language)?;
    let code = |subject: &str, intro: &str| {
        format!(
            "Subject: {subject}\n\n{intro}\n\n{{{{ code }}}}\n\n{}\n\n{}\n",
            p.expires, p.not_asked
        )
    };
    let details = format!(
        "{when}: {{{{ changed_at }}}}\n\
         {{% if device %}}{device}: {{{{ device }}}}\n{{% endif %}}\
         {{% if location %}}{network}: {{{{ location }}}}\n{{% endif %}}\n\
         {was_you}\n\
         {{% if revert_url %}}{not_you}\n{{{{ revert_url }}}}\n{{% endif %}}\n\
         {account} {{{{ account_url }}}}\n",
        when = p.when,
        device = p.device,
        network = p.network,
        was_you = p.was_you,
        not_you = p.not_you,
        account = p.account,
    );
    let label = "{{ factor_name | capitalize }}";
    Some(match usage {
        EmailUsage::VerifyEmail => code(p.verify_subject, p.verify_intro),
        EmailUsage::Reauth => code(p.reauth_subject, p.reauth_intro),
        EmailUsage::SignIn => code(p.sign_in_subject, p.sign_in_intro),
        EmailUsage::SignUp => code(p.sign_up_subject, p.sign_up_intro),
        EmailUsage::FactorAdded => format!(
            "Subject: {}\n\n{}\n\n{label}: {{{{ new_value }}}}\n{details}",
            p.added_subject, p.added_intro
        ),
        EmailUsage::FactorChanged => format!(
            "Subject: {}\n\n{}\n\n{label}\n{}: {{{{ old_value }}}}\n{}: {{{{ new_value }}}}\n{details}",
            p.changed_subject, p.changed_intro, p.before, p.after
        ),
        EmailUsage::FactorRemoved => format!(
            "Subject: {}\n\n{}\n\n{label}: {{{{ old_value }}}}\n{details}",
            p.removed_subject, p.removed_intro
        ),
    })
}
