// SPDX-License-Identifier: MIT
// The independent side of test_slhdsa_noble.sh: @noble/post-quantum's
// SLH-DSA (pure JavaScript, its own FIPS 205 implementation) driven with the
// same arguments as build/tests/slhdsa-tool, so the test can sign with one
// and verify with the other. Bytes are hex on the command line and stdout;
// signatures travel in files (up to 49,856 bytes).
//   keygen SET SEED3N            -> "SK PK"
//   sign SET SK MSG CTX det|rand [PREHASH]   -> signature hex
//   verify SET PK MSG CTX SIGFILE [PREHASH]  -> exit 0 valid, 1 invalid
import { readFileSync } from 'node:fs';
import * as slh from '@noble/post-quantum/slh-dsa.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { shake128_32, shake256_64 } from '@noble/hashes/sha3.js';

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h === '-' ? '' : h, 'hex'));
// FIPS 205 fixes the XOFs' pre-hash lengths: 256 bits for SHAKE128, 512 for SHAKE256.
const prehashes = { sha256, sha512, shake128: shake128_32, shake256: shake256_64 };

function scheme(set, ph) {
	// "SHA2-128s" -> slh_dsa_sha2_128s
	const s = slh['slh_dsa_' + set.toLowerCase().replace(/^slh-dsa-/, '').replace('-', '_')];
	if (!s) throw new Error('unknown parameter set ' + set);
	if (!ph) return s;
	if (!prehashes[ph]) throw new Error('unknown prehash ' + ph);
	return s.prehash(prehashes[ph]);
}

const [cmd, set, ...a] = process.argv.slice(2);
if (cmd === 'keygen') {
	const k = scheme(set).keygen(bytes(a[0]));
	console.log(hex(k.secretKey), hex(k.publicKey));
} else if (cmd === 'sign') {
	const opts = { context: bytes(a[2]) };
	if (a[3] === 'det') opts.extraEntropy = false;
	console.log(hex(scheme(set, a[4]).sign(bytes(a[1]), bytes(a[0]), opts)));
} else if (cmd === 'verify') {
	const sig = bytes(readFileSync(a[3], 'utf8').trim());
	const ok = scheme(set, a[4]).verify(sig, bytes(a[1]), bytes(a[0]), { context: bytes(a[2]) });
	process.exit(ok ? 0 : 1);
} else {
	console.error('usage: noble_slhdsa.mjs keygen|sign|verify SET ...');
	process.exit(2);
}
