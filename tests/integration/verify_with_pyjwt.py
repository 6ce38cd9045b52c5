#!/usr/bin/python3
"""Verifies a gateway access token the way an independent backend would: PyJWT fetches the
keys from the gateway's JWKS URL and checks the signature, the issuer and the audience.

  verify_with_pyjwt.py JWKS_URL ISSUER AUDIENCE TOKEN

Prints the verified claims as JSON and exits 0; exits 1 with PyJWT's reason otherwise.
"""
import json
import sys

import jwt


def main():
    jwks_url, issuer, audience, token = sys.argv[1:5]
    try:
        key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key=key.key, algorithms=["ES256", "EdDSA"], issuer=issuer,
                            audience=audience, options={"require": ["exp", "iat", "iss", "aud", "sub"]})
    except Exception as error:  # PyJWT's refusal, in its own words
        print(f"refused: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
