"""Print what python-pskc reads from a PSKC file, as JSON, for pskc's tests.

Usage: pskcdump.py FILE [psk HEX | passphrase TEXT]
"""
import json
import sys

import pskc


def iso(t):
    if t is None:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(__import__('datetime').timezone.utc).replace(tzinfo=None)
    return t.strftime('%Y-%m-%dT%H:%M:%S')


def main():
    doc = pskc.PSKC(sys.argv[1])
    if len(sys.argv) > 3 and sys.argv[2] == 'psk':
        doc.encryption.key = bytes.fromhex(sys.argv[3])
    elif len(sys.argv) > 3 and sys.argv[2] == 'passphrase':
        doc.encryption.derive_key(sys.argv[3])
    keys = []
    for k in doc.keys:
        p = k.policy
        keys.append(dict(
            id=k.id or '', algorithm=k.algorithm or '', issuer=k.issuer or '',
            manufacturer=k.manufacturer or '', serial=k.serial or '',
            model=k.model or '', issue_no=k.issue_no or '',
            device_binding=k.device_binding or '',
            device_userid=k.device_userid or '', userid=k.key_userid or '',
            crypto_module=k.crypto_module or '',
            friendly_name=k.friendly_name or '', key_profile=k.key_profile or '',
            key_reference=k.key_reference or '', suite=k.algorithm_suite or '',
            secret=k.secret.hex() if k.secret is not None else None,
            counter=k.counter or 0, time=k.time_offset or 0,
            time_interval=k.time_interval or 0, time_drift=k.time_drift or 0,
            digits=k.response_length or 0, encoding=k.response_encoding or '',
            check_digit=bool(k.response_check),
            device_start=iso(k.device.start_date),
            device_expiry=iso(k.device.expiry_date),
            start=iso(p.start_date), expiry=iso(p.expiry_date),
            key_usage=list(p.key_usage),
            transactions=p.number_of_transactions or 0,
            unknown_policy=bool(p.unknown_policy_elements),
            pin=None if p.pin_usage is None and p.pin_key_id is None else dict(
                key_id=p.pin_key_id or '', usage=p.pin_usage or '',
                max_failed=p.pin_max_failed_attempts or 0,
                min=p.pin_min_length or 0, max=p.pin_max_length or 0,
                encoding=p.pin_encoding or ''),
        ))
    json.dump(dict(id=doc.id or '', keys=keys), sys.stdout, indent=1)


if __name__ == '__main__':
    try:
        main()
    except Exception as e:
        json.dump(dict(error=type(e).__name__ + ': ' + str(e)), sys.stdout)
