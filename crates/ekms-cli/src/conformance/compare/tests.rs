use super::*;
use ekms_kmip::xml::{elements, from_slice};

const EXPECTED: &str = r#"<ResponseMessage>
  <ResponseHeader>
    <ProtocolVersion>
      <ProtocolVersionMajor type="Integer" value="1"/>
      <ProtocolVersionMinor type="Integer" value="4"/>
    </ProtocolVersion>
    <TimeStamp type="DateTime" value="$NOW"/>
    <BatchCount type="Integer" value="1"/>
  </ResponseHeader>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <ResultStatus type="Enumeration" value="Success"/>
    <ResponsePayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
    </ResponsePayload>
  </BatchItem>
</ResponseMessage>"#;

fn expected() -> Element {
    elements(EXPECTED.as_bytes()).unwrap().remove(0)
}

/// The answer: `EXPECTED` with `from` replaced by `to`, the placeholders given values.
fn answer(from: &str, to: &str) -> Ttlv {
    let text = EXPECTED
        .replace("$NOW", "2024-01-01T00:00:00Z")
        .replace("$UNIQUE_IDENTIFIER_0", "uid-1")
        .replace(from, to);
    from_slice(text.as_bytes()).unwrap()
}

#[test]
fn placeholders() {
    assert_eq!(placeholder("$NOW"), Some(Placeholder::Now(0)));
    assert_eq!(placeholder("$NOW-3600"), Some(Placeholder::Now(-3600)));
    assert_eq!(placeholder("$NOW+60"), Some(Placeholder::Now(60)));
    assert_eq!(
        placeholder("$UNIQUE_IDENTIFIER_2"),
        Some(Placeholder::Named("UNIQUE_IDENTIFIER_2".into()))
    );
    assert_eq!(placeholder("$NOW*2"), None);
    assert_eq!(placeholder("NOW"), None);
    assert_eq!(placeholder("$"), None);
}

#[test]
fn a_matching_answer_passes_and_captures() {
    let mut vars = Vars::default();
    // Extra fields and another clock are fine.
    let mut a = answer("", "");
    a.items_mut().unwrap()[1]
        .items_mut()
        .unwrap()
        .push(Ttlv::text(Tag::RESULT_MESSAGE, "anything"));
    assert_eq!(compare(&expected(), &a, &mut vars), Ok(()));
    assert_eq!(
        vars.captured.get("UNIQUE_IDENTIFIER_0"),
        Some(&Value::TextString("uid-1".into()))
    );
    // The next answer must carry the same identifier where the case names it.
    let other = answer("uid-1", "uid-2");
    let d = compare(&expected(), &other, &mut vars).unwrap_err();
    assert_eq!(
        d.path,
        "/ResponseMessage/BatchItem/ResponsePayload/UniqueIdentifier"
    );
    assert!(
        d.expected.contains("uid-1") && d.actual.contains("uid-2"),
        "{d}"
    );
}

#[test]
fn a_different_value_fails_with_its_path() {
    let a = answer(
        r#"<ResultStatus type="Enumeration" value="Success"/>"#,
        r#"<ResultStatus type="Enumeration" value="OperationFailed"/>"#,
    );
    let d = compare(&expected(), &a, &mut Vars::default()).unwrap_err();
    assert_eq!(d.path, "/ResponseMessage/BatchItem/ResultStatus");
    assert_eq!(d.expected, "Enumeration Success");
    assert_eq!(d.actual, "Enumeration OperationFailed");
    assert_eq!(
        d.to_string(),
        "/ResponseMessage/BatchItem/ResultStatus: expected Enumeration Success, actual Enumeration OperationFailed"
    );
}

#[test]
fn a_missing_field_or_another_type_fails() {
    let a = answer(
        r#"<ObjectType type="Enumeration" value="SymmetricKey"/>"#,
        "",
    );
    let d = compare(&expected(), &a, &mut Vars::default()).unwrap_err();
    assert_eq!(
        d.path,
        "/ResponseMessage/BatchItem/ResponsePayload/ObjectType"
    );
    assert_eq!(d.actual, "none");
    let a = answer(
        r#"<BatchCount type="Integer" value="1"/>"#,
        r#"<BatchCount type="LongInteger" value="1"/>"#,
    );
    let d = compare(&expected(), &a, &mut Vars::default()).unwrap_err();
    assert_eq!(d.expected, "a Integer");
}

#[test]
fn variable_fields_are_compared_by_type_only() {
    let case = |op: &str, data: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="{op}"/><ResponsePayload><Data type="ByteString" value="{data}"/></ResponsePayload></BatchItem>"#
        )
    };
    let e = elements(case("RNGRetrieve", "00").as_bytes())
        .unwrap()
        .remove(0);
    let a = from_slice(case("RNGRetrieve", "ff").as_bytes()).unwrap();
    assert_eq!(compare(&e, &a, &mut Vars::default()), Ok(()));
    // Only in the answers the list names: an Encrypt's Data must match.
    let e = elements(case("Encrypt", "00").as_bytes())
        .unwrap()
        .remove(0);
    let a = from_slice(case("Encrypt", "ff").as_bytes()).unwrap();
    assert!(compare(&e, &a, &mut Vars::default()).is_err());
    // Every entry says why.
    assert!(VARIABLE.iter().all(|v| !v.reason.is_empty()));
}

#[test]
fn requests_get_the_values_of_their_placeholders() {
    let doc = r#"<RequestMessage>
  <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
  <ActivationDate type="DateTime" value="$NOW-3600"/>
  <Data type="ByteString" value="$DATA_1"/>
</RequestMessage>"#;
    let e = elements(doc.as_bytes()).unwrap().remove(0);
    let mut vars = Vars {
        now: 10_000,
        ..Vars::default()
    };
    // Not yet known: named with its line (a TextString would otherwise take the text).
    assert_eq!(
        unresolved(&e, &vars),
        Some(("$UNIQUE_IDENTIFIER_0".to_string(), 2))
    );
    let err = e.to_ttlv_with(&mut |x| vars.substitute(x)).unwrap_err();
    assert!(err.to_string().contains("line 4"), "{err}");
    // Named by no answer, but an earlier answer has the field: its value.
    vars.answers.push(Ttlv::structure(
        Tag::RESPONSE_MESSAGE,
        vec![Ttlv::bytes(Tag::DATA, vec![9])],
    ));
    let t = e.to_ttlv_with(&mut |x| vars.substitute(x)).unwrap();
    assert_eq!(t.items()[2], Ttlv::bytes(Tag::DATA, vec![9]));
    vars.captured
        .insert("UNIQUE_IDENTIFIER_0".into(), Value::TextString("k".into()));
    vars.captured
        .insert("DATA_1".into(), Value::ByteString(vec![1, 2]));
    assert_eq!(unresolved(&e, &vars), None);
    let t = e.to_ttlv_with(&mut |x| vars.substitute(x)).unwrap();
    assert_eq!(t.items()[0], Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k"));
    assert_eq!(t.items()[1], Ttlv::datetime(Tag::ACTIVATION_DATE, 6_400));
    assert_eq!(t.items()[2], Ttlv::bytes(Tag::DATA, vec![1, 2]));
}

#[test]
fn values_from_keys_the_server_generated_are_compared_by_type() {
    let item = |op: &str, material: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="{op}"/><ResponsePayload><UniqueIdentifier type="TextString" value="k1"/><KeyMaterial type="ByteString" value="{material}"/></ResponsePayload></BatchItem>"#
        )
    };
    let get_expected = elements(item("Get", "00").as_bytes()).unwrap().remove(0);
    let get_actual = from_slice(item("Get", "ff").as_bytes()).unwrap();
    // Before the server generated k1, its material must match.
    let mut vars = Vars::default();
    assert!(compare(&get_expected, &get_actual, &mut vars).is_err());
    // After a Create naming k1, it is random material.
    let create = from_slice(item("Create", "").as_bytes()).unwrap();
    let create_expected = elements(item("Create", "").as_bytes()).unwrap().remove(0);
    assert_eq!(compare(&create_expected, &create, &mut vars), Ok(()));
    assert_eq!(vars.generated, ["k1"]);
    assert_eq!(compare(&get_expected, &get_actual, &mut vars), Ok(()));
}

#[test]
fn a_missing_value_among_several_says_so() {
    let e = elements(
        br#"<ResponsePayload><Operation type="Enumeration" value="Poll"/></ResponsePayload>"#,
    )
    .unwrap()
    .remove(0);
    let a = from_slice(br#"<ResponsePayload><Operation type="Enumeration" value="Create"/><Operation type="Enumeration" value="Get"/></ResponsePayload>"#).unwrap();
    let d = compare(&e, &a, &mut Vars::default()).unwrap_err();
    assert_eq!(
        d.to_string(),
        "/ResponsePayload/Operation: expected Enumeration Poll, actual none of the 2 in the answer"
    );
}

#[test]
fn the_credential_goes_where_the_header_order_puts_it() {
    let doc = r#"<RequestMessage><RequestHeader>
  <ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion>
  <MaximumResponseSize type="Integer" value="256"/>
  <BatchOrderOption type="Boolean" value="true"/>
  <BatchCount type="Integer" value="1"/>
</RequestHeader></RequestMessage>"#;
    let mut m = from_slice(doc.as_bytes()).unwrap();
    add_credential(&mut m, Ttlv::structure(Tag::CREDENTIAL, vec![]));
    let tags: Vec<Tag> = m.items()[0].items().iter().map(|t| t.tag).collect();
    assert_eq!(
        tags,
        [
            Tag::PROTOCOL_VERSION,
            Tag::MAXIMUM_RESPONSE_SIZE,
            Tag::AUTHENTICATION,
            Tag::BATCH_ORDER_OPTION,
            Tag::BATCH_COUNT
        ]
    );
    // Once only.
    add_credential(&mut m, Ttlv::structure(Tag::CREDENTIAL, vec![]));
    assert_eq!(m.items()[0].items().len(), 5);
}

#[test]
fn a_plaintext_under_a_generated_key_and_the_rng_kind_are_compared_by_type_only() {
    let decrypt = |data: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="Decrypt"/><ResponsePayload><UniqueIdentifier type="TextString" value="k"/><Data type="ByteString" value="{data}"/></ResponsePayload></BatchItem>"#
        )
    };
    let e = elements(decrypt("00").as_bytes()).unwrap().remove(0);
    let a = from_slice(decrypt("ff").as_bytes()).unwrap();
    // Under a key the case registered, the plaintext must match ...
    assert!(compare(&e, &a, &mut Vars::default()).is_err());
    // ... under one the server generated, it follows from the random key.
    let mut vars = Vars::default();
    vars.generated.push("k".to_string());
    assert_eq!(compare(&e, &a, &mut vars), Ok(()));
    let rng = |alg: &str| {
        format!(
            r#"<RandomNumberGenerator><RNGAlgorithm type="Enumeration" value="{alg}"/><CryptographicLength type="Integer" value="256"/></RandomNumberGenerator>"#
        )
    };
    let e = elements(rng("ANSIX9_31").as_bytes()).unwrap().remove(0);
    let a = from_slice(rng("DRBG").as_bytes()).unwrap();
    assert_eq!(compare(&e, &a, &mut Vars::default()), Ok(()));
}

/// An Encrypt answer's batch item and the request's, with the payload fields given.
fn encrypt(request: &str, answer: &str) -> (Element, Ttlv, Ttlv) {
    let item = |payload: &str, fields: &str| {
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="Encrypt"/><{payload}><UniqueIdentifier type="TextString" value="k"/>{fields}</{payload}></BatchItem>"#
        )
    };
    let message = |root: &str, body: String| format!("<{root}>{body}</{root}>");
    let expected = message(
        "ResponseMessage",
        item("ResponsePayload", r#"<Data type="ByteString" value="00"/>"#),
    );
    (
        elements(expected.as_bytes()).unwrap().remove(0),
        from_slice(message("RequestMessage", item("RequestPayload", request)).as_bytes()).unwrap(),
        from_slice(message("ResponseMessage", item("ResponsePayload", answer)).as_bytes()).unwrap(),
    )
}

#[test]
fn a_ciphertext_with_random_padding_is_compared_by_type_only() {
    let data = r#"<Data type="ByteString" value="ff"/>"#;
    let oaep = r#"<CryptographicParameters><PaddingMethod type="Enumeration" value="OAEP"/></CryptographicParameters>"#;
    let none = r#"<CryptographicParameters><PaddingMethod type="Enumeration" value="None"/></CryptographicParameters>"#;
    // Padding stated in the Encrypt request: OAEP is random, no padding is not.
    for (params, random) in [(oaep, true), (none, false)] {
        let (e, request, a) = encrypt(&format!("{params}{data}"), data);
        let mut vars = Vars {
            request: Some(request),
            ..Vars::default()
        };
        assert_eq!(compare(&e, &a, &mut vars).is_ok(), random, "{params}");
    }
    // Padding stated when the key was made: PKCS#1 v1.5 is random.
    let (e, request, a) = encrypt(data, data);
    let mut vars = Vars {
        request: Some(request.clone()),
        ..Vars::default()
    };
    assert!(compare(&e, &a, &mut vars).is_err());
    let register = |padding: &str| {
        let item = |p: &str, f: &str| {
            format!(
                r#"<BatchItem><Operation type="Enumeration" value="Register"/><{p}>{f}</{p}></BatchItem>"#
            )
        };
        (
            from_slice(format!("<RequestMessage>{}</RequestMessage>", item("RequestPayload", &format!(r#"<Attributes><CryptographicParameters><PaddingMethod type="Enumeration" value="{padding}"/></CryptographicParameters></Attributes>"#))).as_bytes()).unwrap(),
            from_slice(format!("<ResponseMessage>{}</ResponseMessage>", item("ResponsePayload", r#"<UniqueIdentifier type="TextString" value="k"/>"#)).as_bytes()).unwrap(),
        )
    };
    let (made, answered) = register("PKCS1V1_5");
    let e_made = elements(b"<ResponseMessage/>").unwrap().remove(0);
    vars.request = Some(made);
    assert_eq!(compare(&e_made, &answered, &mut vars), Ok(()));
    vars.request = Some(request);
    assert_eq!(compare(&e, &a, &mut vars), Ok(()));
}

#[test]
fn a_ciphertext_under_an_iv_the_server_drew_is_compared_by_type_only() {
    let data = r#"<Data type="ByteString" value="ff"/>"#;
    let iv = r#"<IVCounterNonce type="ByteString" value="0102"/>"#;
    // The server drew the IV (and says which): random. The request stated it, or the mode
    // takes none (no IV in the answer): compared by value.
    for (request, answer, random) in [
        (String::new(), format!("{data}{iv}"), true),
        (iv.to_string(), format!("{data}{iv}"), false),
        (String::new(), data.to_string(), false),
    ] {
        let (e, request, a) = encrypt(&request, &answer);
        let mut vars = Vars {
            request: Some(request),
            ..Vars::default()
        };
        assert_eq!(compare(&e, &a, &mut vars).is_ok(), random, "{answer}");
    }
}

#[test]
fn a_query_answer_need_not_list_notify_and_put_and_nothing_else() {
    let query = |ops: &[&str]| {
        let listed: String = ops
            .iter()
            .map(|o| format!(r#"<Operation type="Enumeration" value="{o}"/>"#))
            .collect();
        format!(
            r#"<BatchItem><Operation type="Enumeration" value="Query"/><ResponsePayload>{listed}</ResponsePayload></BatchItem>"#
        )
    };
    let e = elements(query(&["Get", "Notify", "Put", "0x0000001C"]).as_bytes())
        .unwrap()
        .remove(0);
    // Notify and Put (also by hex value: 0x1C is Put) may be missing from a Query answer...
    let a = from_slice(query(&["Get"]).as_bytes()).unwrap();
    assert_eq!(compare(&e, &a, &mut Vars::default()), Ok(()));
    // ...but no other operation may,
    let e = elements(query(&["Get", "Notify", "Certify"]).as_bytes())
        .unwrap()
        .remove(0);
    let a2 = from_slice(query(&["Get", "Create"]).as_bytes()).unwrap();
    let d = compare(&e, &a2, &mut Vars::default()).unwrap_err();
    assert!(
        d.to_string().contains("expected Enumeration Certify"),
        "{d}"
    );
    // ...and only in a Query answer.
    let other = |ops: &[&str]| query(ops).replace(r#"value="Query""#, r#"value="Poll""#);
    let e = elements(other(&["Get", "Notify"]).as_bytes())
        .unwrap()
        .remove(0);
    let a = from_slice(other(&["Get"]).as_bytes()).unwrap();
    assert!(compare(&e, &a, &mut Vars::default()).is_err());
    assert!(NOT_REQUIRED.iter().all(|r| !r.reason.is_empty()));
}
