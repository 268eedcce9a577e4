check policy.gj --data {} --output no/such/folder/r.json --format json --as-of 2017-06-30 --color never --lang en
