check policy.gj --data {} --output policy.gj --format json --as-of 2017-06-30 --color never --lang en
