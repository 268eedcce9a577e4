check policy.gj --data {} --as-of 2017-06-30 --color never --lang en --encoding gb18030
