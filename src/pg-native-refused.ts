// node-postgres reads NODE_PG_FORCE_NATIVE as it loads, then requires pg-native, its libpq binding, which centinela
// neither ships nor connects through (the URL's TLS as libpq reads it, the probe's own socket are the JavaScript
// client's). Refused here, in words, instead of a crash on the missing module: src/main.ts imports this module first,
// so it runs before anything loads node-postgres, whichever way centinela was started (bin/centinela.js, npm start,
// npm run centinela, the built dist/main.js).
if (process.env.NODE_PG_FORCE_NATIVE) {
  process.stderr.write(
    "centinela: NODE_PG_FORCE_NATIVE is set in the environment, which asks node-postgres for pg-native, and centinela's " +
      'PostgreSQL connections are made without it. Unset it.\n',
  );
  process.exit(1);
}
