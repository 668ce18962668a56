


service.name
x