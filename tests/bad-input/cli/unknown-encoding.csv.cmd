check policy.gj --data {} --encoding latin9 --as-of 2017-06-30 --color never --lang en
