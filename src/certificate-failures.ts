// Node's codes for a server certificate a TLS client did not accept, with what each says of the certificate: the net
// probes tell them in a page, the PostgreSQL connections (postgres-tls.ts) with what to change in the URL.

/** What a code says of the server's certificate (the rest of a sentence about it), and what it failed: its CA, its dates, its host. */
export interface CertificateFailure {
  says: string;
  failed: 'trust' | 'validity' | 'host';
}

/** Node's codes for a server certificate it did not accept. */
export const CERTIFICATE_FAILURES: ReadonlyMap<string, CertificateFailure> = new Map([
  ['DEPTH_ZERO_SELF_SIGNED_CERT', { says: 'is self-signed', failed: 'trust' }],
  ['SELF_SIGNED_CERT_IN_CHAIN', { says: 'comes from a CA that is not trusted', failed: 'trust' }],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', { says: 'comes from a CA that is not trusted', failed: 'trust' }],
  ['UNABLE_TO_GET_ISSUER_CERT', { says: 'comes from a CA that is not trusted', failed: 'trust' }],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', { says: 'comes from a CA that is not trusted', failed: 'trust' }],
  ['CERT_UNTRUSTED', { says: 'comes from a CA that is not trusted', failed: 'trust' }],
  ['CERT_HAS_EXPIRED', { says: 'has expired', failed: 'validity' }],
  ['CERT_NOT_YET_VALID', { says: 'is not valid yet', failed: 'validity' }],
  ['CERT_REVOKED', { says: 'was revoked', failed: 'validity' }],
  ['ERR_TLS_CERT_ALTNAME_INVALID', { says: 'is not for the host connected to', failed: 'host' }],
]);
