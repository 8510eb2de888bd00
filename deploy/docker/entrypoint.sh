#!/usr/bin/env bash
# Entry point of the ekms image (deploy/docker/Dockerfile).
#   --emulation   print the measurement block of the image's signed enclave and copy the
#                 signed manifest, the .sig and the block to /root/public_data, then exit;
#                 needs no SGX, so anyone can compare a rebuilt image with the published values
#   (nothing)     run the enclave: `gramine-sgx ekms-server`, with /dev/sgx_enclave,
#                 /dev/sgx_provision and the host's AESM socket (docs/deploy-sgx.md)
# The server's arguments are fixed in the signed manifest; the operator's unmeasured settings
# come from /etc/ekms/ekms.toml, so this script takes no other argument.
set -euo pipefail
# The image's paths; the variables exist for the tests, which run this script outside an image.
cd "${EKMS_IMAGE_DIR:-/ekms}"
dev="${EKMS_DEV_DIR:-/dev}"
aesm="${EKMS_AESM_DIR:-/var/run/aesmd}"

case "${1:-}" in
    --emulation)
        out="${EKMS_PUBLIC_DATA:-/root/public_data}"
        mkdir -p "$out"
        cp ekms-server.manifest.sgx ekms-server.sig "$out/"
        ekms enclave sigstruct --measurement ekms-server.sig | tee "$out/measurement.txt"
        exit 0
        ;;
    "") ;;
    *)
        echo "ekms image: unknown argument $1; the server's arguments are fixed in its signed manifest, its other settings are in /etc/ekms/ekms.toml (run with --emulation for the measurement)" >&2
        exit 1
        ;;
esac

for device in sgx_enclave sgx_provision; do
    if [ ! -e "$dev/$device" ]; then
        echo "ekms image: no /dev/$device in the container: run with --device /dev/sgx_enclave --device /dev/sgx_provision on an SGX host (or --emulation for the measurement only)" >&2
        exit 1
    fi
done
if [ ! -S "$aesm/aesm.socket" ]; then
    echo "ekms image: no AESM socket at /var/run/aesmd/aesm.socket: run aesmd on the host and mount -v /var/run/aesmd:/var/run/aesmd (quotes come from it)" >&2
    exit 1
fi
exec gramine-sgx ekms-server
