//! RFC 9421 Appendix B: the published test keys, messages, signature bases and signatures.
//! The deterministic algorithms (HMAC-SHA256, Ed25519) are produced byte for byte, the
//! randomised ones (RSA-PSS, ECDSA) verified; every vector is also refused once tampered.

use super::*;

const PSS_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----";

const RSA_PUBLIC_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----";

const P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----";

const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----";

/// The 32-byte Ed25519 seed of `test-key-ed25519` (its PKCS#8 form is in B.1.4).
const ED25519_SEED_B64URL: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";

const SHARED_SECRET: &str = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";

const REQUEST_DIGEST: &str =
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";
const RESPONSE_DIGEST: &str =
    "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:";

const B21_INPUT: &str = r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#;
const B21_SIG: &str = "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:";
const B22_INPUT: &str = r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#;
const B22_SIG: &str = "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:";
const B23_INPUT: &str = r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#;
const B23_SIG: &str = "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:";
const B24_INPUT: &str = r#"sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#;
const B24_SIG: &str =
    "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:";
const B25_INPUT: &str = r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#;
const B25_SIG: &str = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:";
const B26_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const B26_SIG: &str =
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

/// The test request of RFC 9421 §B.2 (its body is `{"hello": "world"}`).
fn test_request(extra: &[(&str, &str)]) -> Message {
    let mut headers = vec![
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Digest", REQUEST_DIGEST),
        ("Content-Length", "18"),
    ];
    headers.extend_from_slice(extra);
    Message::request("POST", "https://example.com/foo?param=Value&Pet=dog", headers).unwrap()
}

fn test_response(extra: &[(&str, &str)]) -> Message {
    let mut headers = vec![
        ("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        ("Content-Type", "application/json"),
        ("Content-Digest", RESPONSE_DIGEST),
        ("Content-Length", "23"),
    ];
    headers.extend_from_slice(extra);
    Message::response(200, headers)
}

fn only(msg: &Message) -> Sig9421 {
    let mut sigs = parse_9421(msg).unwrap();
    assert_eq!(sigs.len(), 1);
    sigs.remove(0)
}

fn secret() -> PublicKey {
    PublicKey::Hmac(B64.decode(SHARED_SECRET).unwrap())
}

fn ed25519() -> PrivateKey {
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(ED25519_SEED_B64URL).unwrap();
    PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed.try_into().unwrap()))
}

#[test]
fn b21_minimal_signature_has_the_published_base_and_verifies_with_rsa_pss() {
    let sig = only(&test_request(&[("Signature-Input", B21_INPUT), ("Signature", B21_SIG)]));
    assert_eq!(
        sig.base,
        r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#
    );
    let key = PublicKey::from_pem(PSS_PUBLIC).unwrap();
    key.verify(Alg::RsaPssSha512, sig.base.as_bytes(), &sig.signature).unwrap();
}

#[test]
fn b22_selective_components_include_a_query_parameter() {
    let sig = only(&test_request(&[("Signature-Input", B22_INPUT), ("Signature", B22_SIG)]));
    assert_eq!(
        sig.base,
        [
            "\"@authority\": example.com".to_string(),
            format!("\"content-digest\": {REQUEST_DIGEST}"),
            "\"@query-param\";name=\"Pet\": dog".to_string(),
            r#""@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#.to_string(),
        ]
        .join("\n")
    );
    let key = PublicKey::from_pem(PSS_PUBLIC).unwrap();
    key.verify(Alg::RsaPssSha512, sig.base.as_bytes(), &sig.signature).unwrap();
}

#[test]
fn b23_full_coverage_verifies_and_fails_when_the_query_changes() {
    let sig = only(&test_request(&[("Signature-Input", B23_INPUT), ("Signature", B23_SIG)]));
    assert!(sig.base.contains("\"@query\": ?param=Value&Pet=dog\n"));
    assert!(sig.base.starts_with("\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n"));
    let key = PublicKey::from_pem(PSS_PUBLIC).unwrap();
    key.verify(Alg::RsaPssSha512, sig.base.as_bytes(), &sig.signature).unwrap();

    let mut changed = test_request(&[("Signature-Input", B23_INPUT), ("Signature", B23_SIG)]);
    changed.target = Some(Target::parse("https://example.com/foo?param=Value&Pet=cat").unwrap());
    let tampered = only(&changed);
    assert_eq!(
        key.verify(Alg::RsaPssSha512, tampered.base.as_bytes(), &tampered.signature),
        Err(SigError::BadSignature)
    );
}

#[test]
fn b24_a_response_signed_with_ecdsa_p256_verifies() {
    let sig = only(&test_response(&[("Signature-Input", B24_INPUT), ("Signature", B24_SIG)]));
    assert!(sig.base.starts_with("\"@status\": 200\n\"content-type\": application/json\n"));
    let key = PublicKey::from_pem(P256_PUBLIC).unwrap();
    assert_eq!(key.default_alg(), Alg::EcdsaP256Sha256);
    key.verify(Alg::EcdsaP256Sha256, sig.base.as_bytes(), &sig.signature).unwrap();
    let wrong = test_response(&[("Signature-Input", B24_INPUT), ("Signature", B24_SIG), ("Content-Length", "24")]);
    let wrong = only(&wrong);
    assert!(key.verify(Alg::EcdsaP256Sha256, wrong.base.as_bytes(), &wrong.signature).is_err());
}

#[test]
fn b25_hmac_is_reproduced_exactly_and_a_one_bit_different_secret_fails() {
    let sig = only(&test_request(&[("Signature-Input", B25_INPUT), ("Signature", B25_SIG)]));
    assert_eq!(
        sig.base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""
    );
    secret().verify(Alg::HmacSha256, sig.base.as_bytes(), &sig.signature).unwrap();
    let mut other = B64.decode(SHARED_SECRET).unwrap();
    other[63] ^= 1;
    assert_eq!(
        PublicKey::Hmac(other).verify(Alg::HmacSha256, sig.base.as_bytes(), &sig.signature),
        Err(SigError::BadSignature)
    );
    let signer = PrivateKey::Hmac(B64.decode(SHARED_SECRET).unwrap());
    let (input, signature) = sign_9421(
        &test_request(&[]),
        &["date", "@authority", "content-type"],
        "test-shared-secret",
        None,
        1618884473,
        &signer,
    )
    .unwrap();
    assert_eq!(format!("sig-b25={}", input.trim_start_matches("sig1=")), B25_INPUT);
    assert_eq!(format!("sig-b25={}", signature.trim_start_matches("sig1=")), B25_SIG);
}

#[test]
fn b26_ed25519_is_reproduced_exactly() {
    let sig = only(&test_request(&[("Signature-Input", B26_INPUT), ("Signature", B26_SIG)]));
    let key = PublicKey::from_pem(ED25519_PUBLIC).unwrap();
    key.verify(Alg::Ed25519, sig.base.as_bytes(), &sig.signature).unwrap();
    let signer = ed25519();
    let (input, signature) = sign_9421(
        &test_request(&[]),
        &["date", "@method", "@path", "@authority", "content-type", "content-length"],
        "test-key-ed25519",
        None,
        1618884473,
        &signer,
    )
    .unwrap();
    assert_eq!(format!("sig-b26={}", input.trim_start_matches("sig1=")), B26_INPUT);
    assert_eq!(format!("sig-b26={}", signature.trim_start_matches("sig1=")), B26_SIG);
    // The same signature under a key of another kind is refused, not tried.
    assert!(matches!(
        PublicKey::from_pem(PSS_PUBLIC).unwrap().verify(Alg::Ed25519, sig.base.as_bytes(), &sig.signature),
        Err(SigError::BadKey(_))
    ));
}

#[test]
fn rsa_v1_5_signatures_round_trip_in_both_dialects() {
    // The RFC's test-key-rsa has unbalanced primes the rsa crate refuses to load, so a fresh
    // key stands in for it; its public half is still read in PKCS#1 (B.1.1's form).
    assert!(matches!(PublicKey::from_pem(RSA_PUBLIC_PKCS1), Ok(PublicKey::Rsa(_))));
    let private = <rsa::PrivateKey as rsa::Generate>::generate();
    let key = PrivateKey::Rsa(private.clone());
    let public = PublicKey::from_pem(&rsa_public_pem(&private.to_public_key()).unwrap()).unwrap();
    let msg = test_request(&[("Digest", &digest_header(b"{\"hello\": \"world\"}"))]);
    let (input, signature) = sign_9421(
        &msg,
        &["@method", "@target-uri", "content-digest"],
        "test-key-rsa",
        Some(Alg::RsaV15Sha256),
        1618884473,
        &key,
    )
    .unwrap();
    let signed = Message {
        headers: msg
            .headers
            .iter()
            .cloned()
            .chain([("signature-input".into(), input), ("signature".into(), signature)])
            .collect(),
        ..msg.clone()
    };
    let sig = only(&signed);
    assert_eq!(sig.alg, Some(Alg::RsaV15Sha256));
    public.verify(Alg::RsaV15Sha256, sig.base.as_bytes(), &sig.signature).unwrap();
    check_9421(&sig, true, 1618884473 + 10).unwrap();

    let header = sign_cavage(&msg, "test-key-rsa", &key).unwrap();
    let signed =
        Message { headers: msg.headers.iter().cloned().chain([("signature".into(), header)]).collect(), ..msg.clone() };
    let sig = parse_cavage(&signed).unwrap();
    assert_eq!(sig.headers, ["(request-target)", "host", "date", "digest"]);
    assert!(sig.signing_string.starts_with("(request-target): post /foo?param=Value&Pet=dog\nhost: example.com\n"));
    let alg = cavage_alg(sig.algorithm.as_deref(), &public).unwrap();
    public.verify(alg, sig.signing_string.as_bytes(), &sig.signature).unwrap();
    check_cavage(&sig, &signed, true, 1618884473 + 10).unwrap();
}

#[test]
fn policy_refuses_stale_future_and_uncovered_signatures() {
    let sig = only(&test_request(&[("Signature-Input", B23_INPUT), ("Signature", B23_SIG)]));
    assert_eq!(check_9421(&sig, true, 1618884473 + MAX_AGE_S + 1), Err(SigError::Expired));
    assert_eq!(check_9421(&sig, true, 1618884473 - MAX_FUTURE_S - 1), Err(SigError::Future));
    check_9421(&sig, true, 1618884473).unwrap();
    let minimal = only(&test_request(&[("Signature-Input", B21_INPUT), ("Signature", B21_SIG)]));
    assert_eq!(check_9421(&minimal, false, 1618884473), Err(SigError::NotCovered("@method")));
    let no_digest = only(&test_request(&[("Signature-Input", B26_INPUT), ("Signature", B26_SIG)]));
    assert_eq!(check_9421(&no_digest, true, 1618884473), Err(SigError::NotCovered("content-digest")));
    check_9421(&no_digest, false, 1618884473).unwrap();
}

#[test]
fn digests_are_checked_in_both_headers() {
    let body = b"{\"hello\": \"world\"}";
    check_digests(&test_request(&[]), body).unwrap();
    let other = Message::request("POST", "https://example.com/", [("Digest", digest_header(b"other"))]).unwrap();
    assert_eq!(check_digests(&other, body), Err(SigError::DigestMismatch));
    let none = Message::request("POST", "https://example.com/", [("Content-Type", "application/json")]).unwrap();
    assert_eq!(check_digests(&none, body), Err(SigError::DigestMissing));
    let ours =
        Message::request("POST", "https://example.com/", [("Content-Digest", content_digest_header(body))]).unwrap();
    check_digests(&ours, body).unwrap();
    let unknown_only = Message::request("POST", "https://example.com/", [("Digest", "MD5=AAAA")]).unwrap();
    assert_eq!(check_digests(&unknown_only, body), Err(SigError::DigestMissing));
}

#[test]
fn malformed_signatures_are_refused_with_a_reason() {
    let dup = r#"sig1=("@method" "@method");created=1;keyid="k""#;
    let msg = test_request(&[("Signature-Input", dup), ("Signature", "sig1=:AAAA:")]);
    assert!(matches!(parse_9421(&msg), Err(SigError::Malformed(_))));
    let missing =
        test_request(&[("Signature-Input", r#"sig1=("x-absent");created=1;keyid="k""#), ("Signature", "sig1=:AAAA:")]);
    assert!(matches!(parse_9421(&missing), Err(SigError::Malformed(_))));
    let unpaired = test_request(&[("Signature-Input", B25_INPUT), ("Signature", "other=:AAAA:")]);
    assert!(matches!(parse_9421(&unpaired), Err(SigError::Malformed(_))));
    let param = test_request(&[
        ("Signature-Input", r#"sig1=("content-type";bs);created=1;keyid="k""#),
        ("Signature", "sig1=:AAAA:"),
    ]);
    assert!(matches!(parse_9421(&param), Err(SigError::Unsupported(_))));
    assert_eq!(parse_9421(&test_request(&[])), Err(SigError::Unsigned));
    assert_eq!(parse_cavage(&test_request(&[])), Err(SigError::Unsigned));
    let twice = test_request(&[("Signature", r#"keyId="a",keyId="b",signature="AAAA""#)]);
    assert!(matches!(parse_cavage(&twice), Err(SigError::Malformed(_))));
}

#[test]
fn query_parameters_are_decoded_and_reencoded() {
    let q = "var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something";
    assert_eq!(query_param(q, "var").unwrap(), "this%20is%20a%20big%0Amultiline%20value");
    assert_eq!(query_param(q, "bar").unwrap(), "with%20plus%20whitespace");
    assert_eq!(query_param(q, "fa%C3%A7ade%22%3A%20").unwrap(), "something");
    assert!(query_param("a=1&a=2", "a").is_err());
}

#[test]
fn targets_drop_default_ports_and_keep_others() {
    assert_eq!(Target::parse("https://Example.com:443/a?b").unwrap().authority, "example.com");
    assert_eq!(Target::parse("http://127.0.0.1:8080").unwrap().uri(), "http://127.0.0.1:8080/");
    assert!(Target::parse("/relative").is_err());
    assert!(Target::parse("ftp://x/").is_err());
}
