from foundry_tui.cli import main

raise SystemExit(main())
