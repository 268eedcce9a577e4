check policy.gj --data {} --jobs -1 --as-of 2017-06-30 --color never --lang en
