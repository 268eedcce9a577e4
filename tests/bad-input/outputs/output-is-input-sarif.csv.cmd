check policy.gj --data {} --output {} --format sarif --as-of 2017-06-30
