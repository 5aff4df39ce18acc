//! The dashboard's strings, per language (the login pages' catalogue
//! gives the language's tag and name). `{n}` is a number.

mod de;
mod en;
mod es;
mod fr;
mod nl;

use super::catalogue::Catalogue;

pub use de::DE;
pub use en::EN;
pub use es::ES;
pub use fr::FR;
pub use nl::NL;

/// One language's strings for the dashboard.
#[derive(Debug)]
pub struct AdminCatalogue {
    /// The login pages' catalogue of the same language.
    pub t: &'static Catalogue,
    pub title: &'static str,
    pub nav_overview: &'static str,
    pub nav_applications: &'static str,
    pub nav_policy: &'static str,
    pub nav_users: &'static str,
    pub sign_out: &'static str,
    pub refused_title: &'static str,
    pub refused_text: &'static str,
    pub signin_failed_title: &'static str,
    pub signin_failed_text: &'static str,
    pub signin_no_mfa: &'static str,
    pub sign_in_again: &'static str,
    pub count_users: &'static str,
    pub count_admins: &'static str,
    pub count_blocked: &'static str,
    pub count_applications: &'static str,
    pub chart_sign_ins: &'static str,
    pub chart_sms: &'static str,
    pub chart_total: &'static str,
    pub app_new: &'static str,
    pub app_none: &'static str,
    pub app_name: &'static str,
    pub app_client_id: &'static str,
    pub app_type: &'static str,
    pub app_confidential: &'static str,
    pub app_public: &'static str,
    pub app_redirect_uris: &'static str,
    pub app_post_logout: &'static str,
    pub app_origins: &'static str,
    pub app_refresh: &'static str,
    pub app_grants: &'static str,
    pub app_edit: &'static str,
    pub app_updated: &'static str,
    pub app_rotate: &'static str,
    pub app_rotate_confirm: &'static str,
    pub app_rotated: &'static str,
    pub app_not_saved: &'static str,
    pub app_first_party: &'static str,
    pub app_require_mfa: &'static str,
    pub app_connections: &'static str,
    pub app_create: &'static str,
    pub app_created: &'static str,
    pub app_created_public: &'static str,
    pub app_secret: &'static str,
    pub app_delete: &'static str,
    pub app_delete_confirm: &'static str,
    pub app_deleted: &'static str,
    pub app_not_found: &'static str,
    pub app_bad_name: &'static str,
    pub app_bad_value: &'static str,
    pub app_needs_redirect: &'static str,
    pub app_refused: &'static str,
    pub cancel: &'static str,
    pub back: &'static str,
    pub save: &'static str,
    pub policy_first_factors: &'static str,
    pub policy_signup: &'static str,
    pub policy_mfa: &'static str,
    pub mfa_off: &'static str,
    pub mfa_optional: &'static str,
    pub mfa_required: &'static str,
    pub policy_second_factors: &'static str,
    pub policy_unique_phone: &'static str,
    pub policy_saved: &'static str,
    pub policy_unchanged: &'static str,
    pub policy_refused: &'static str,
    pub factor_totp: &'static str,
    pub factor_sms: &'static str,
    pub factor_email: &'static str,
    pub factor_recovery: &'static str,
    pub users_search: &'static str,
    pub search: &'static str,
    pub users_none: &'static str,
    pub users_unrecognised: &'static str,
    pub user_id: &'static str,
    pub user_phone: &'static str,
    pub user_email: &'static str,
    pub user_created: &'static str,
    pub user_status: &'static str,
    pub status_active: &'static str,
    pub status_blocked: &'static str,
    pub user_admin: &'static str,
    pub user_factors: &'static str,
    pub none: &'static str,
    pub user_sessions: &'static str,
    pub user_events: &'static str,
    pub block: &'static str,
    pub unblock: &'static str,
    pub blocked_notice: &'static str,
    pub unblocked_notice: &'static str,
    pub own_account: &'static str,
    pub user_not_found: &'static str,
    pub nav_templates: &'static str,
    pub nav_audit: &'static str,
    pub tpl_sms: &'static str,
    pub tpl_email: &'static str,
    pub tpl_usage: &'static str,
    pub tpl_language: &'static str,
    pub tpl_stored: &'static str,
    pub tpl_builtin: &'static str,
    pub tpl_edit: &'static str,
    pub tpl_source: &'static str,
    pub tpl_preview: &'static str,
    pub tpl_preview_user: &'static str,
    pub tpl_no_user: &'static str,
    pub tpl_subject: &'static str,
    pub tpl_segments: &'static str,
    pub tpl_one_segment: &'static str,
    pub tpl_too_long: &'static str,
    pub tpl_refused: &'static str,
    pub tpl_line: &'static str,
    pub tpl_saved: &'static str,
    pub tpl_not_found: &'static str,
    pub audit_user: &'static str,
    pub audit_client: &'static str,
    pub audit_kind: &'static str,
    pub audit_from: &'static str,
    pub audit_to: &'static str,
    pub audit_filter: &'static str,
    pub audit_older: &'static str,
    pub audit_export: &'static str,
    pub audit_none: &'static str,
    pub audit_at: &'static str,
    pub audit_actor: &'static str,
    pub audit_subject: &'static str,
    pub audit_details: &'static str,
    pub audit_bad_filter: &'static str,
    pub nav_connection: &'static str,
    pub nav_outbox: &'static str,
    pub nav_keys: &'static str,
    pub conn_provider: &'static str,
    pub conn_provider_outbox: &'static str,
    pub conn_provider_twilio: &'static str,
    pub conn_provider_webhook: &'static str,
    pub conn_account_sid: &'static str,
    pub conn_auth_token: &'static str,
    pub conn_service_sid: &'static str,
    pub conn_from: &'static str,
    pub conn_sender_hint: &'static str,
    pub conn_webhook_url: &'static str,
    pub conn_webhook_secret: &'static str,
    pub secret_set: &'static str,
    pub secret_not_set: &'static str,
    pub conn_codes: &'static str,
    pub conn_otp_length: &'static str,
    pub conn_otp_ttl: &'static str,
    pub conn_max_attempts: &'static str,
    pub conn_countries: &'static str,
    pub conn_test_numbers: &'static str,
    pub conn_limits: &'static str,
    pub conn_limit_phone: &'static str,
    pub conn_limit_ip: &'static str,
    pub conn_limit_minute: &'static str,
    pub conn_resend_cooldown: &'static str,
    pub conn_saved: &'static str,
    pub conn_refused: &'static str,
    pub test_title: &'static str,
    pub test_to: &'static str,
    pub test_send: &'static str,
    pub test_accepted: &'static str,
    pub test_failed: &'static str,
    pub outbox_empty: &'static str,
    pub outbox_created: &'static str,
    pub outbox_channel: &'static str,
    pub outbox_to: &'static str,
    pub outbox_usage: &'static str,
    pub outbox_status: &'static str,
    pub outbox_attempts: &'static str,
    pub outbox_last_error: &'static str,
    pub outbox_retry: &'static str,
    pub outbox_abandon: &'static str,
    pub outbox_retried: &'static str,
    pub outbox_abandoned: &'static str,
    pub outbox_unknown: &'static str,
    pub keys_kid: &'static str,
    pub keys_alg: &'static str,
    pub keys_state: &'static str,
    pub keys_created: &'static str,
    pub keys_signs_from: &'static str,
    pub keys_retire_after: &'static str,
    pub keys_hint: &'static str,
    pub keys_rotate_now: &'static str,
    pub keys_rotate: &'static str,
    pub keys_rotated: &'static str,
}

const ADMIN_CATALOGUES: [&AdminCatalogue; 5] = [&EN, &FR, &NL, &ES, &DE];

/// The dashboard's catalogue in the language of `t`.
pub fn admin_catalogue_for(t: &Catalogue) -> &'static AdminCatalogue {
    ADMIN_CATALOGUES
        .iter()
        .find(|c| c.t.lang == t.lang)
        .copied()
        .unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::catalogue;

    #[test]
    fn every_language_of_the_login_pages_has_the_dashboard() {
        for t in catalogue::CATALOGUES {
            assert_eq!(admin_catalogue_for(t).t.lang, t.lang);
        }
    }
}
