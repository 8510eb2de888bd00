#!/usr/bin/env python3
"""Generate the SIGSTRUCT test vector of ekms-attest (tests/sigstruct_vector.rs).

Independent of the Rust code: it packs the SIGSTRUCT at the SDM offsets with Python's struct
module and signs it with the `cryptography` package (RSA-3072, e = 3, PKCS#1 v1.5 SHA-256), as
SGX signing tools do. The private key is thrown away; the public key is written in four forms
(SPKI and PKCS#1, PEM and DER) and the expected values in expected.json.

Run from this directory: python3 make_sigstruct.py
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HEADER = bytes.fromhex("06000000e10000000000010000000000")
HEADER2 = bytes.fromhex("01010000600000006000000001000000")

key = rsa.generate_private_key(public_exponent=3, key_size=3072)
pub = key.public_key()
n = pub.public_numbers().n

mr_enclave = hashlib.sha256(b"ekms-attest sigstruct test enclave").digest()
isv_prod_id, isv_svn = 7, 42
attr_flags, attr_xfrm = 0x04, 0x03  # MODE64BIT, x87|SSE; not debug
mask_flags, mask_xfrm = 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFF9FF1B

buf = bytearray(1808)
buf[0:16] = HEADER
struct.pack_into("<I", buf, 16, 0)  # vendor
struct.pack_into("<HBB", buf, 20, 0x2025, 0x06, 0x25)  # date
buf[24:40] = HEADER2
struct.pack_into("<I", buf, 40, 0)  # sw_defined
struct.pack_into("<I", buf, 900, 0)  # misc_select
struct.pack_into("<I", buf, 904, 0xFFFFFFFF)  # misc_mask
struct.pack_into("<QQ", buf, 928, attr_flags, attr_xfrm)
struct.pack_into("<QQ", buf, 944, mask_flags, mask_xfrm)
buf[960:992] = mr_enclave
struct.pack_into("<HH", buf, 1024, isv_prod_id, isv_svn)

signed = bytes(buf[0:128]) + bytes(buf[900:1028])
sig = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
s = int.from_bytes(sig, "big")
q1 = (s * s) // n
q2 = ((s * s) % n) * s // n

buf[128:512] = n.to_bytes(384, "little")
struct.pack_into("<I", buf, 512, 3)
buf[516:900] = s.to_bytes(384, "little")
buf[1040:1424] = q1.to_bytes(384, "little")
buf[1424:1808] = q2.to_bytes(384, "little")

with open("test_enclave.sig", "wb") as f:
    f.write(buf)

spki_pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
spki_der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
pkcs1_pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
pkcs1_der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
for name, data in [("signer.spki.pem", spki_pem), ("signer.spki.der", spki_der),
                   ("signer.pkcs1.pem", pkcs1_pem), ("signer.pkcs1.der", pkcs1_der)]:
    with open(name, "wb") as f:
        f.write(data)

expected = {
    "mr_enclave": mr_enclave.hex(),
    "mr_signer": hashlib.sha256(n.to_bytes(384, "little")).hexdigest(),
    "isv_prod_id": isv_prod_id,
    "isv_svn": isv_svn,
    "attributes_flags": attr_flags,
    "attributes_xfrm": attr_xfrm,
}
with open("expected.json", "w") as f:
    json.dump(expected, f, indent=2)
    f.write("\n")
print(json.dumps(expected, indent=2))
