"""The PKI the program issues, with real keys and certificates, in real TLS handshakes."""

import datetime as dt
import ssl
from urllib.parse import urlparse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from components.settings import from_stack_file
from components.wiring import SIDEKICK_TLS, wiring_for
from tests.harness import STACKS, plain, run_program
from tests.mocks import ProviderMocks
from tests.tls_helpers import handshake

LSC = "tls:index/locallySignedCert:LocallySignedCert"
SSC = "tls:index/selfSignedCert:SelfSignedCert"
KEY = "tls:index/privateKey:PrivateKey"
PKI_TYPES = (LSC, SSC, KEY, "tls:index/certRequest:CertRequest")


class Issued:
    """Certificates and keys of one program run, by resource name."""

    def __init__(self, run):
        self.run = run
        self.pem = {r.name: r.outputs["certPem"] for r in run.resources if r.typ in (LSC, SSC)}
        self.key = {r.name.removesuffix("-key"): r.outputs["privateKeyPem"] for r in run.of_type(KEY)}

    def cert(self, name) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem[name].encode())

    @property
    def falco_url(self):
        return urlparse(self.run.outputs["sidekickUrl"])


@pytest.fixture(scope="module")
def dev():
    return Issued(run_program("dev", {"mtlsExtraClients": ["edge-01"]}))


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


def test_ca_is_a_proper_ca(dev):
    ca = dev.cert("ca")
    assert ext(ca, x509.BasicConstraints).value.ca is True and ext(ca, x509.BasicConstraints).critical
    usage = ext(ca, x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and usage.digital_signature
    assert ext(ca, x509.SubjectKeyIdentifier)
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey) and ca.public_key().curve.name == "secp256r1"
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days == 1826


def test_leaves_have_the_usages_and_identifiers_strict_clients_need(dev):
    ca_ski = ext(dev.cert("ca"), x509.SubjectKeyIdentifier).value.digest
    server, client = dev.cert("sidekick-server"), dev.cert("falco-client")
    assert ext(server, x509.ExtendedKeyUsage).value._usages == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert ext(client, x509.ExtendedKeyUsage).value._usages == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert ext(server, x509.KeyUsage).value.key_encipherment and ext(server, x509.KeyUsage).value.digital_signature
    assert ext(client, x509.KeyUsage).value.digital_signature
    for leaf in (server, client, dev.cert("client-edge-01")):
        assert ext(leaf, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
        assert ext(leaf, x509.BasicConstraints).value.ca is False
        assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 365
    lsc = {r.name: r.inputs for r in dev.run.of_type(LSC)}
    assert lsc["sidekick-server"]["earlyRenewalHours"] == 30 * 24


@pytest.mark.parametrize("stack", STACKS)
def test_falco_url_hostname_is_in_the_server_sans(stack):
    settings = from_stack_file(stack)
    wiring = wiring_for(settings)
    run = Issued(run_program(stack))
    sans = ext(run.cert("sidekick-server"), x509.SubjectAlternativeName).value
    assert run.falco_url.hostname in sans.get_values_for_type(x509.DNSName)
    assert set(sans.get_values_for_type(x509.DNSName)) == set(wiring.dns_names)
    if settings.target == "kubernetes":
        ns = settings.namespace
        assert set(wiring.dns_names) == {"falcosidekick", f"falcosidekick.{ns}", f"falcosidekick.{ns}.svc",
                                         f"falcosidekick.{ns}.svc.cluster.local"}
    else:
        assert {"sib-sidekick", "localhost"} <= set(wiring.dns_names)
        assert "127.0.0.1" in [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]


def test_falco_client_handshakes_with_sidekick(dev, tmp_path):
    handshake(tmp_path, dev.pem["ca"], dev.pem["sidekick-server"], dev.key["sidekick-server"],
              dev.falco_url.hostname, dev.pem["falco-client"], dev.key["falco-client"])


@pytest.mark.parametrize("hostname", ["localhost", "sib-sidekick"])
def test_operator_names_handshake_too(dev, tmp_path, hostname):
    handshake(tmp_path, dev.pem["ca"], dev.pem["sidekick-server"], dev.key["sidekick-server"], hostname,
              dev.pem["client-edge-01"], dev.key["client-edge-01"])


def test_no_client_certificate_is_rejected(dev, tmp_path):
    with pytest.raises(ssl.SSLError):
        handshake(tmp_path, dev.pem["ca"], dev.pem["sidekick-server"], dev.key["sidekick-server"],
                  dev.falco_url.hostname)


def test_client_certificate_from_another_ca_is_rejected(dev, tmp_path):
    other = Issued(run_program("dev"))
    with pytest.raises(ssl.SSLError):
        handshake(tmp_path, dev.pem["ca"], dev.pem["sidekick-server"], dev.key["sidekick-server"],
                  dev.falco_url.hostname, other.pem["falco-client"], other.key["falco-client"],
                  client_ca_pem=dev.pem["ca"])


def test_hostname_outside_the_sans_is_rejected(dev, tmp_path):
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tmp_path, dev.pem["ca"], dev.pem["sidekick-server"], dev.key["sidekick-server"],
                  "sidekick.example.com", dev.pem["falco-client"], dev.key["falco-client"])


def test_expired_certificate_is_rejected(tmp_path):
    past = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=40)
    old = Issued(run_program("dev", {"certValidityDays": 30}, mocks=ProviderMocks(now=past)))
    with pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        handshake(tmp_path, old.pem["ca"], old.pem["sidekick-server"], old.key["sidekick-server"],
                  old.falco_url.hostname, old.pem["falco-client"], old.key["falco-client"])


def test_rsa_4096_is_selectable():
    run = Issued(run_program("dev", {"pkiAlgorithm": "rsa-4096"}))
    key = run.cert("sidekick-server").public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 4096
    assert {r.inputs["algorithm"] for r in run.run.of_type(KEY)} == {"RSA"}


def test_private_keys_stay_secret(dev):
    plain = {k: v for k, v in dev.run.outputs.items() if k not in dev.run.secret_outputs}
    assert "PRIVATE KEY" not in repr(plain)
    assert "extraClients" in dev.run.secret_outputs
    assert "PRIVATE KEY" in dev.run.outputs["extraClients"]["edge-01"]["keyPem"]
    assert "BEGIN CERTIFICATE" in dev.run.outputs["caCertPem"] and "caCertPem" not in dev.run.secret_outputs
    assert set(dev.run.outputs["certificateExpiry"]) == {"ca", "sidekickServer", "falcoClient", "client-edge-01"}
    # Every resource input that carries a key is a secret on the wire.
    for r in dev.run.resources:
        secret = dev.run.monitor.registrations[(r.typ, r.name)].secret_inputs
        for name, value in r.inputs.items():
            if "PRIVATE KEY" in repr(value):
                assert name in secret, f"{r.typ} {r.name}.{name} carries a key in plaintext"


def pki_inputs(run):
    return {(r.typ, r.name): (r.inputs, run.monitor.registrations[(r.typ, r.name)].replacement_trigger)
            for r in run.resources if r.typ in PKI_TYPES}


def test_unrelated_edits_reissue_no_certificate():
    base = run_program("dev")
    for edit in ({"priority": "warning"}, {"bufferPreset": 8}, {"disabledTags": ["T1059"]},
                 {"sidekickOutputs": {"webhook": {"address": "http://h"}}}):
        assert pki_inputs(run_program("dev", edit, after=base)) == pki_inputs(base), edit


def test_rotation_reissues_every_key_and_certificate():
    base, rotated = run_program("dev"), run_program("dev", {"pkiRotation": "2027-01"})
    before, after = pki_inputs(base), pki_inputs(rotated)
    assert set(before) == set(after) and len(before) == 8  # CA key+cert, two leaves x key+CSR+cert
    for name in before:
        assert before[name][1] != after[name][1] == "2027-01", name
    assert {r.name for r in rotated.of_type(LSC)} == {"sidekick-server", "falco-client"}


def test_leaves_renew_on_their_own_inside_the_renewal_window():
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    issued = run_program("dev", mocks=ProviderMocks(now=now - dt.timedelta(days=340)))  # 25 days left
    later = run_program("dev", mocks=ProviderMocks(now=now, previous=issued.mocks))
    changed = {name for (typ, name), (inputs, _) in pki_inputs(later).items()
               if pki_inputs(issued)[(typ, name)][0] != inputs}
    assert {r.name for r in later.of_type(LSC)
            if r.outputs["certPem"] != issued.one(LSC, r.name).outputs["certPem"]} == {"sidekick-server", "falco-client"}
    assert later.one(SSC, "ca").outputs == issued.one(SSC, "ca").outputs and not changed
    sidekick = [c for c in later.of_type("docker:index/container:Container") if c.name == "sidekick"][0]
    delivered = {u["file"]: u["content"] for u in plain(sidekick.inputs["uploads"])}
    assert delivered[SIDEKICK_TLS.cert] == later.one(LSC, "sidekick-server").outputs["certPem"]


def test_mtls_off_creates_no_pki():
    run = run_program("dev", {"mtls": False})
    assert not [r for r in run.resources if r.typ.startswith("tls:")]
    assert run.outputs["sidekickUrl"].startswith("http://") and "caCertPem" not in run.outputs
