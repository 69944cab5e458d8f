"""Pulumi mocks that behave like the providers for the inputs given.

pulumi-tls resources produce real keys and certificates made with `cryptography`, following the
provider's documented semantics: key algorithm and curve, subject, SANs, key usages and extended
key usages from `allowed_uses`, basic constraints from `is_ca_certificate`, a subject key
identifier when `set_subject_key_id`, an authority key identifier on certificates signed by a CA
that has a subject key identifier (as Go's x509 does), validity from now for
`validity_period_hours`. Other providers echo their inputs, as a create would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi.runtime import rpc

CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
KEY_USAGE_FLAGS = {
    "digital_signature": "digital_signature", "content_commitment": "content_commitment",
    "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement", "cert_signing": "key_cert_sign", "crl_signing": "crl_sign",
    "encipher_only": "encipher_only", "decipher_only": "decipher_only",
}
EXT_KEY_USAGES = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING, "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING, "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}
SUBJECT_FIELDS = {
    "common_name": NameOID.COMMON_NAME, "organization": NameOID.ORGANIZATION_NAME,
    "organizational_unit": NameOID.ORGANIZATIONAL_UNIT_NAME, "locality": NameOID.LOCALITY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME, "country": NameOID.COUNTRY_NAME,
    "postal_code": NameOID.POSTAL_CODE, "serial_number": NameOID.SERIAL_NUMBER,
}


def _snake_keys(value: Any) -> Any:
    """Inputs in the SDK's snake_case, secrets unwrapped (a provider sees their plain values)."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return _snake_keys(value["value"])
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake_keys(v) for k, v in value.items()}
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _pem_key(key: Any) -> str:
    fmt = serialization.PrivateFormat.TraditionalOpenSSL  # "RSA PRIVATE KEY" / "EC PRIVATE KEY", as the provider
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _name(subject: dict[str, Any] | None) -> x509.Name:
    subject = subject or {}
    return x509.Name([x509.NameAttribute(oid, subject[k]) for k, oid in SUBJECT_FIELDS.items() if subject.get(k)])


def _hash_for(key: Any) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {384: hashes.SHA384(), 521: hashes.SHA512()}.get(key.curve.key_size, hashes.SHA256())
    return hashes.SHA256()


def _time(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_certificate(inputs: dict[str, Any], public_key: Any, subject: x509.Name, signer_key: Any,
                      issuer: x509.Certificate | None, now: dt.datetime) -> dict[str, Any]:
    """Build a certificate as the pulumi-tls provider does for these inputs; return its outputs."""
    hours = int(inputs["validity_period_hours"])
    not_after = now + dt.timedelta(hours=hours)
    uses = list(inputs.get("allowed_uses") or [])
    is_ca = bool(inputs.get("is_ca_certificate"))
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer else subject)
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    flags = {attr: False for attr in KEY_USAGE_FLAGS.values()}
    for use in uses:
        if use in KEY_USAGE_FLAGS:
            flags[KEY_USAGE_FLAGS[use]] = True
    if any(flags.values()):
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    ekus = [EXT_KEY_USAGES[use] for use in uses if use in EXT_KEY_USAGES]
    if ekus:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in inputs.get("dns_names") or []]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ip_addresses") or []]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if inputs.get("set_subject_key_id"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if issuer is not None:
        try:
            ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                                            critical=False)
        except x509.ExtensionNotFound:
            pass
    elif inputs.get("set_authority_key_id"):
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
    cert = builder.sign(signer_key, _hash_for(signer_key))
    early = int(inputs.get("early_renewal_hours") or 0)
    return {
        "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validity_start_time": _time(now),
        "validity_end_time": _time(not_after),
        "ready_for_renewal": now >= not_after - dt.timedelta(hours=early),
    }


@dataclass
class Registered:
    """One resource the program registered: its type, name and inputs as the provider saw them."""

    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)


class ProviderMocks(pulumi.runtime.Mocks):
    """Records every resource; pulumi-tls resources get real crypto.

    With `previous` (the mocks of an earlier run) it behaves like `pulumi up` on that run's state:
    a resource whose inputs and replacement trigger are unchanged keeps its outputs (same keys,
    same certificates), unless it is a certificate inside its early-renewal window, which the
    provider replaces; anything else is created anew.
    """

    def __init__(self, now: dt.datetime | None = None, previous: "ProviderMocks | None" = None):
        self.now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.resources: list[Registered] = []
        self.triggers: dict[tuple[str, str], Any] = {}  # set by the monitor before each registration
        self._state = {(r.typ, r.name): (r.inputs, previous.triggers.get((r.typ, r.name)), r.outputs)
                       for r in previous.resources} if previous else {}
        self._keys: dict[str, Any] = dict(previous._keys) if previous else {}  # private_key_pem -> key object

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        prior = self._state.get((args.typ, args.name))
        if (prior and prior[0] == inputs and prior[1] == self.triggers.get((args.typ, args.name))
                and not self._due_for_renewal(prior[0], prior[2])):
            self.resources.append(Registered(args.typ, args.name, inputs, prior[2]))
            return f"{args.name}-id", prior[2]
        outputs = dict(inputs)
        handler = getattr(self, "_" + args.typ.split(":")[-1].lower(), None) if args.typ.startswith("tls:") else None
        if handler:  # the engine speaks camelCase; the handlers read and write the SDK's snake_case
            outputs |= {_camel(k): v for k, v in handler(_snake_keys(inputs)).items()}
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            digest = hashlib.sha256(inputs["name"].encode()).hexdigest()
            outputs |= {"image_id": f"sha256:{digest}", "repo_digest": f"{inputs['name'].split(':')[0]}@sha256:{digest}"}
        self.resources.append(Registered(args.typ, args.name, inputs, outputs))
        return f"{args.name}-id", outputs

    def _due_for_renewal(self, inputs: dict[str, Any], outputs: dict[str, Any]) -> bool:
        """pulumi-tls plans a replacement once a certificate is `early_renewal_hours` from expiry."""
        if "validityEndTime" not in outputs:
            return False
        end = dt.datetime.strptime(outputs["validityEndTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        return self.now >= end - dt.timedelta(hours=int(inputs.get("earlyRenewalHours") or 0))

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def _privatekey(self, inputs: dict[str, Any]) -> dict[str, Any]:
        algorithm = inputs.get("algorithm")
        if algorithm == "ECDSA":
            key = ec.generate_private_key(CURVES[inputs.get("ecdsa_curve") or "P224"]())
        elif algorithm == "RSA":
            key = rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsa_bits") or 2048))
        else:
            raise ValueError(f"tls.PrivateKey: unsupported algorithm {algorithm!r}")
        pem = _pem_key(key)
        self._keys[pem] = key
        public = key.public_key()
        return {
            "private_key_pem": pem,
            "private_key_pem_pkcs8": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()).decode(),
            "public_key_pem": public.public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        }

    def _key(self, pem: str) -> Any:
        if pem not in self._keys:
            self._keys[pem] = serialization.load_pem_private_key(pem.encode(), password=None)
        return self._keys[pem]

    def _selfsignedcert(self, inputs: dict[str, Any]) -> dict[str, Any]:
        key = self._key(inputs["private_key_pem"])
        return issue_certificate(inputs, key.public_key(), _name(inputs.get("subject")), key, None, self.now)

    def _certrequest(self, inputs: dict[str, Any]) -> dict[str, Any]:
        key = self._key(inputs["private_key_pem"])
        builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in inputs.get("dns_names") or []]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ip_addresses") or []]
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        csr = builder.sign(key, _hash_for(key))
        return {"cert_request_pem": csr.public_bytes(serialization.Encoding.PEM).decode()}

    def _locallysignedcert(self, inputs: dict[str, Any]) -> dict[str, Any]:
        csr = x509.load_pem_x509_csr(inputs["cert_request_pem"].encode())
        ca = x509.load_pem_x509_certificate(inputs["ca_cert_pem"].encode())
        ca_key = self._key(inputs["ca_private_key_pem"])
        try:
            sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = {"dns_names": sans.get_values_for_type(x509.DNSName),
                     "ip_addresses": [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]}
        except x509.ExtensionNotFound:
            names = {}
        return issue_certificate({**inputs, **names}, csr.public_key(), csr.subject, ca_key, ca, self.now)
