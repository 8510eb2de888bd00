//! Fuzzes what the conformance runner does with a case file, short of the network: the case
//! reader (`xml::elements`), the placeholders (`unresolved`, `Vars::substitute`), the
//! conversion of each request, the credential, and the comparison of answers. None may panic,
//! and an answer that is exactly what the case states (its expected message, converted with
//! the same placeholders) must compare equal.
#![no_main]

// The runner's comparison, as the `ekms` binary compiles it (ekms-cli has no library).
#[path = "../../src/conformance/compare.rs"]
#[allow(dead_code)]
mod compare;

use compare::{Vars, add_credential, compare, unresolved};
use ekms_kmip::{Tag, Ttlv, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(messages) = xml::elements(data) else {
        return;
    };
    let mut vars = Vars {
        now: 1_700_000_000,
        ..Vars::default()
    };
    for pair in messages.chunks(2) {
        let [request, expected] = pair else {
            return;
        };
        if unresolved(request, &vars).is_some() {
            return;
        }
        let Ok(mut message) = request.to_ttlv_with(&mut |e| vars.substitute(e)) else {
            return;
        };
        add_credential(&mut message, Ttlv::structure(Tag::CREDENTIAL, vec![]));
        let _ = ekms_kmip::binary::try_to_vec(&message);
        let Ok(answer) = expected.to_ttlv_with(&mut |e| vars.substitute(e)) else {
            return;
        };
        if let Err(d) = compare(expected, &answer, &mut vars) {
            panic!("the answer the case states differs from it: {d}");
        }
        vars.answers.push(answer);
    }
});
