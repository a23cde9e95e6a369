ATTACH '/tmp/evil.db' AS evil
