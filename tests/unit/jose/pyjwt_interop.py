#!/usr/bin/python3
"""PyJWT's side of the jose interoperability tests (tests/unit/jose/pyjwt_interop_test.cpp).

PyJWT with pyca/cryptography is an implementation independent of ours, so a token that one side
makes and the other accepts shows that both read RFC 7515/7517/7518/8037 the same way.

  verify     --jwks FILE --token FILE --alg ALG --iss ISS --aud AUD
             Verifies a token with the key of its kid from a JWKS; prints {"header", "claims"}.
  mint       --key PEM --alg ALG --kid KID --claims FILE [--typ TYP]
             Signs the claims with a PEM private key; prints the token.
  mint-own   --alg ALG --kid KID --claims FILE
             Makes its own key pair, signs the claims; prints {"jwk": public JWK, "token"}.

Exits 0 on success, 1 with the reason on stderr when PyJWT refuses.
"""
import argparse
import json
import sys

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def verify(args):
    with open(args.jwks, encoding="utf-8") as handle:
        key_set = jwt.PyJWKSet.from_json(handle.read())
    with open(args.token, encoding="utf-8") as handle:
        token = handle.read().strip()
    header = jwt.get_unverified_header(token)
    key = key_set[header["kid"]]
    claims = jwt.decode(
        token,
        key=key.key,
        algorithms=[args.alg],
        audience=args.aud,
        issuer=args.iss,
        options={"require": ["exp", "iss", "aud"]},
    )
    print(json.dumps({"header": header, "claims": claims}))


def read_claims(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def mint(args):
    with open(args.key, encoding="utf-8") as handle:
        pem = handle.read()
    headers = {"kid": args.kid}
    if args.typ:
        headers["typ"] = args.typ
    print(jwt.encode(read_claims(args.claims), pem, algorithm=args.alg, headers=headers))


def public_jwk(alg, private_key):
    public = private_key.public_key()
    if alg == "ES256":
        return json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
    if alg == "EdDSA":
        return json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public))
    return json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))


def new_key(alg):
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def full_length_coordinates(jwk):
    # PyJWT 2.6 writes EC coordinates with their leading zero bytes dropped (about one key in
    # 128), which RFC 7518 section 6.2.1.2 forbids and our from_jwk() refuses. Such keys are
    # drawn again here; the refusal itself has its own test on the C++ side.
    if jwk.get("kty") != "EC":
        return True
    return all(len(jwt.utils.base64url_decode(jwk[c])) == 32 for c in ("x", "y"))


def mint_own(args):
    while True:
        private_key = new_key(args.alg)
        jwk = public_jwk(args.alg, private_key)
        if full_length_coordinates(jwk):
            break
    jwk["kid"] = args.kid
    token = jwt.encode(
        read_claims(args.claims), private_key, algorithm=args.alg, headers={"kid": args.kid}
    )
    print(json.dumps({"jwk": jwk, "token": token}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify")
    check.add_argument("--jwks", required=True)
    check.add_argument("--token", required=True)
    check.add_argument("--alg", required=True)
    check.add_argument("--iss", required=True)
    check.add_argument("--aud", required=True)
    make = commands.add_parser("mint")
    make.add_argument("--key", required=True)
    make.add_argument("--alg", required=True)
    make.add_argument("--kid", required=True)
    make.add_argument("--claims", required=True)
    make.add_argument("--typ")
    own = commands.add_parser("mint-own")
    own.add_argument("--alg", required=True)
    own.add_argument("--kid", required=True)
    own.add_argument("--claims", required=True)
    args = parser.parse_args()
    try:
        {"verify": verify, "mint": mint, "mint-own": mint_own}[args.command](args)
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        print(f"pyjwt refused: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
