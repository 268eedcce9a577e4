check policy.gj --data {} --output . --format json --as-of 2017-06-30 --color never --lang en
