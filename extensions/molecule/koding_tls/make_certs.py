# Makes the scenario's certificates with cryptography (ansible-core's dependency) into the directory given:
#   ca.pem                    a lab root CA (also the CA of Pebble's own https endpoint)
#   chain.pem                 an intermediate CA it issued
#   site.pem, site.key        the front's certificate for the names given, issued by the intermediate, and its key
#   renewed.pem               another certificate for the same names and key (check mode must not install it)
#   short.pem                 one for the same names and key that expires in 5 days (a renewal is due)
#   expired.pem               an expired one for the same names and key
#   wrong-name.pem            one for another name, same key
#   other.key                 a key of no certificate here
#   pebble.pem, pebble.key    Pebble's https certificate (pebble, localhost, 127.0.0.1), issued by ca.pem
# Usage: python make_certs.py DIR NAME [NAME...]
import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out, names = sys.argv[1], sys.argv[2:]
now = datetime.datetime.now(datetime.timezone.utc)
day = datetime.timedelta(days=1)
os.makedirs(out, mode=0o700, exist_ok=True)


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def issue(common_name, key, issuer=None, issuer_key=None, sans=(), ca=False, start=None, end=None):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start or now - day)
        .not_valid_after(end or now + 30 * day)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        entries = []
        for name in sans:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                entries.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(entries), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def write(name, data, mode=0o644):
    path = os.path.join(out, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)
    os.chmod(path, mode)


def cert(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


def key_bytes(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


root_key, inter_key, site_key, pebble_key = new_key(), new_key(), new_key(), new_key()
root = issue('Koding Lab Root CA', root_key, ca=True, end=now + 365 * day)
inter = issue('Koding Lab Intermediate CA', inter_key, root, root_key, ca=True, end=now + 365 * day)
write('ca.pem', cert(root))
write('chain.pem', cert(inter))
write('site.pem', cert(issue(names[0], site_key, inter, inter_key, names)))
write('site.key', key_bytes(site_key), 0o600)
write('renewed.pem', cert(issue(names[0], site_key, inter, inter_key, names)))
write('short.pem', cert(issue(names[0], site_key, inter, inter_key, names, end=now + 5 * day)))
write('expired.pem', cert(issue(names[0], site_key, inter, inter_key, names, start=now - 60 * day, end=now - day)))
write('wrong-name.pem', cert(issue('other.lab.test', site_key, inter, inter_key, ['other.lab.test'])))
write('other.key', key_bytes(new_key()), 0o600)
write('pebble.pem', cert(issue('pebble', pebble_key, root, root_key, ['pebble', 'localhost', '127.0.0.1'])))
write('pebble.key', key_bytes(pebble_key), 0o644)  # read by Pebble's container user; a lab key
