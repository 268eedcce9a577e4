check policy.gj --data {} --jobs 100000 --as-of 2017-06-30 --color never --lang en
