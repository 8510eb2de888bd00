"""Attests an emulated SGX quote with Microsoft's Azure Attestation Python SDK
(azure-security-attestation) against a running ekms-attest, unchanged: the SDK sends its own
request, fetches /certs, checks the token's signature, issuer and lifetime, and parses the
claims. Used by tests/maa_sdk.rs; prints one `name=value` line per checked fact.

usage: python maa_python_sdk.py URL QUOTE_FILE RUNTIME_FILE
"""

import sys
import warnings

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.security.attestation import AttestationClient


class NoCredential:
    """ekms-attest needs no Azure AD token; the SDK insists on a credential object."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("unused", 4102444800)


def main():
    url, quote_path, runtime_path = sys.argv[1:4]
    warnings.simplefilter("ignore")
    # The service's certificate is self-signed; the Rust side pins it, this side only talks.
    client = AttestationClient(url, NoCredential(), connection_verify=False)
    quote = open(quote_path, "rb").read()
    runtime = open(runtime_path, "rb").read()
    result, _token = client.attest_sgx_enclave(
        quote, runtime_data=runtime, issuer=url, validate_issuer=True
    )
    print(f"issuer={result.issuer}")
    print(f"mr_enclave={result.mr_enclave}")
    print(f"mr_signer={result.mr_signer}")
    print(f"product_id={int(result.product_id)}")
    print(f"svn={int(result.svn)}")
    print(f"is_debuggable={result.is_debuggable}")
    print(f"enclave_held_data={result.enclave_held_data.hex()}")
    print(f"quotehash={result.sgx_collateral['quotehash']}")
    print(f"verifier_type={result.verifier_type}")
    print(f"version={result.version}")
    print(f"signers={','.join(s.key_id for s in client.get_signing_certificates())}")
    try:
        client.attest_sgx_enclave(quote, runtime_data=runtime + b"!")
        print("wrong_runtime=accepted")
    except HttpResponseError as e:
        print(f"wrong_runtime={e.error.code if e.error else e.status_code}")


if __name__ == "__main__":
    main()
