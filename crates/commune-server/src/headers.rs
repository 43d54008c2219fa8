//! The security headers' values that pages may adjust (a leaf: the app and the pages use it).

/// The pages' Content-Security-Policy: everything from this origin only, no framing, and forms
/// post only here — except where a page adds an origin a form's answer redirects to
/// ([`csp_with_form_action`]).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";

/// [`CSP`] with one more origin allowed for forms: browsers apply `form-action` to the redirect
/// that answers a post, so the OpenID Connect consent and sign-out forms, whose answer sends the
/// member on to an app, allow that app's origin (and only it).
pub fn csp_with_form_action(origin: &str) -> String {
    format!("{CSP} {origin}")
}
