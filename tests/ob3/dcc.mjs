// Verifies credentials with the Digital Credentials Consortium's packages from npm, composed as
// @digitalcredentials/verifier-core (behind VerifierPlus and the Learner Credential Wallet)
// composes them: @digitalcredentials/vc's verifyCredential with a DataIntegrityProof suite of
// the eddsa-rdfc-2022 cryptosuite, and the Bitstring Status List check of
// @digitalcredentials/vc-bitstring-status-list (which also verifies the status list
// credential's own proof). verifier-core itself builds a document loader that resolves did:web
// over HTTPS and fetches unknown contexts from the web; here the loader is offline: the
// contexts are the ones the DCC's security-document-loader bundles (not ours), the issuer's DID
// document and the status lists are read from the server under test (plain HTTP on loopback),
// and anything else is refused.
//
//   node dcc.mjs CASES.json      CASES: [{"name", "file", "expect": "valid|invalid|revoked"}]
//   env AULA_BASE_URL (the server), AULA_DID (its did:web)
import fs from 'node:fs';
import { DataIntegrityProof } from '@digitalcredentials/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalcredentials/vc';
import { securityLoader } from '@digitalcredentials/security-document-loader';
import { checkStatus } from '@digitalcredentials/vc-bitstring-status-list';

const BASE = process.env.AULA_BASE_URL;
const DID = process.env.AULA_DID;
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

const bundled = securityLoader({ fetchRemoteContexts: false }).build();
const fetched = [];
async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`NotFoundError: ${url} answered ${response.status}`);
  fetched.push(url);
  return response.json();
}
async function documentLoader(url) {
  if (url === DID || url.startsWith(`${DID}#`)) {
    const didDocument = await getJson(`${BASE}/.well-known/did.json`);
    if (url === DID) return { contextUrl: null, documentUrl: url, document: didDocument };
    const method = didDocument.verificationMethod.find((m) => m.id === url);
    if (!method) throw new Error(`NotFoundError: ${url} is not in the DID document`);
    return {
      contextUrl: null,
      documentUrl: url,
      document: { '@context': 'https://w3id.org/security/multikey/v1', ...method },
    };
  }
  if (url.startsWith(`${BASE}/api/v1/credentials/status/`)) {
    return { contextUrl: null, documentUrl: url, document: await getJson(url) };
  }
  if (url.startsWith('did:')) throw new Error(`NotFoundError: ${url} (offline: only ${DID})`);
  // The DCC's bundled contexts; no network.
  return bundled(url);
}

const suite = [new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 })];

function outcome(result) {
  if (result.verified) return 'valid';
  const signatureHolds = (result.results ?? []).some((r) => r.verified);
  const status = result.statusResult;
  const revoked = status && status.verified === false && !status.error;
  if (signatureHolds && revoked) return 'revoked';
  return 'invalid';
}

let failures = 0;
let passed = 0;
for (const item of cases) {
  const credential = JSON.parse(fs.readFileSync(item.file, 'utf8'));
  let got;
  let detail = '';
  try {
    const result = await vc.verifyCredential({
      credential,
      suite,
      documentLoader,
      checkStatus,
      // The status list must be the issuer's own (stricter than verifier-core, which turns it off).
      verifyMatchingIssuers: true,
    });
    got = outcome(result);
    const reasons = [
      result.error?.message,
      ...(result.error?.errors ?? []).map((e) => e.message),
      ...(result.results ?? []).map((r) => r.error?.message),
      result.statusResult?.error?.message,
    ].filter(Boolean);
    detail = reasons.length ? ` (${[...new Set(reasons)].join('; ')})` : '';
  } catch (error) {
    got = 'invalid';
    detail = ` (threw: ${error.message})`;
  }
  const ok = got === item.expect;
  if (ok) passed += 1;
  else failures += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'} dcc ${item.name}: expected ${item.expect}, verifier says ${got}${detail}`);
}
console.log(`dcc: ${passed} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
