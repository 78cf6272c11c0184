// The environment the shipped config/ cannot load without (docs/deploy.md): every test and bench that loads config/
// starts from it, and adds what it points elsewhere.

/** CENTINELA_PUBLIC_URL and CENTINELA_WRITE_TOKEN, set as docs/deploy.md tells an operator to. */
export const SHIPPED_ENV: Readonly<Record<string, string>> = {
  CENTINELA_PUBLIC_URL: 'https://centinela.example.org',
  CENTINELA_WRITE_TOKEN: 'shipped-config-write-token',
};
