check policy.gj --data _policy.txt --as-of 2017-06-30 --color never --lang en
