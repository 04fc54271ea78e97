from voice_assistant.cli import main

main()
