//! Commune as an OpenID Connect provider, so a business's own tools sign members in with their
//! Commune account: signing keys and their rotation, registered apps, and the protocol itself.

pub mod clients;
pub mod flow;
pub mod keys;
